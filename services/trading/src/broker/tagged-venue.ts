import type { Order, Side } from '../domain';
import type {
  BrokerMargin,
  BrokerOrderStatus,
  BrokerPosition,
  OrderChanges,
  PriceBand,
} from './broker';
import { digestOfTag } from './order-tag';

/**
 * What a live broker's REST API and order stream look like to `TaggedBroker`, in broker-neutral
 * terms: each adapter (Kite, Upstox, Angel One) maps its SDK's calls and payloads onto these, so the
 * order tracking (idempotent placement, lookup by tag, fills, closes, polling) exists once.
 */

/** One order in the broker's day order book. */
export interface VenueOrder {
  readonly orderId: string;
  readonly tag: string | null | undefined;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly filledQuantity: number;
  readonly status: BrokerOrderStatus;
  /** The broker's own status word ("complete", "rejected"). */
  readonly venueStatus: string;
  readonly statusMessage?: string | null;
  /** Orders in other segments do not count toward NSE equity positions. */
  readonly exchange: string;
}

/** One execution of an order. */
export interface VenueFill {
  readonly fillId: string;
  readonly quantity: number;
  readonly price: number;
  readonly filledAt: number;
}

/** What the adapter places: the order, its product and the tag built by `orderTag`. */
export interface VenuePlacement {
  readonly order: Order;
  readonly product: 'INTRADAY' | 'DELIVERY';
  readonly tag: string;
}

/** How an error from the broker counts: its words are kept in the message either way. */
export type VenueErrorKind =
  /** The access token is refused: every call fails until a new login. */
  | 'token'
  /** No answer, throttled (429) or the broker's own failure (5xx): a read may be repeated. */
  | 'transient'
  /** The broker refused this request (bad input, RMS, unknown order). */
  | 'refused';

/** A call the broker answered with an error (or did not answer), in the broker's own words. */
export class VenueError extends Error {
  override readonly name = 'VenueError';
  constructor(
    readonly broker: string,
    readonly kind: VenueErrorKind,
    /** The broker's code (`UDAPI100050`, `AG8001`, `HTTP 429`, `ECONNABORTED`). */
    readonly code: string,
    readonly venueMessage: string,
  ) {
    super(`${code}: ${venueMessage}`);
  }
}

/** An order update whose signature the venue's check refused (Kite's `checksum`): dropped. */
export class UnverifiedUpdateError extends Error {
  override readonly name = 'UnverifiedUpdateError';
  constructor(
    /** What the update claimed, for the log line. */
    readonly detail: { orderId?: unknown; tag?: unknown; status?: unknown; symbol?: unknown },
  ) {
    super('the order update is not signed by the broker');
  }
}

export interface TaggedVenue {
  /** For messages and the unattributed strategy label ("Upstox"). */
  readonly label: string;
  /** Sends a placement; resolves with the broker's order id. */
  place(placement: VenuePlacement): Promise<string>;
  /** Changes a working order; a refusal is a VenueError of kind `refused` in the broker's words. */
  modify(orderId: string, changes: OrderChanges): Promise<void>;
  cancel(orderId: string): Promise<void>;
  orderBook(): Promise<VenueOrder[]>;
  fills(orderId: string): Promise<VenueFill[]>;
  /** Net NSE equity quantity per symbol, as the broker's positions say. */
  netPositions(): Promise<Array<{ symbol: string; quantity: number }>>;
  /** Whether the broker lists `symbol` on NSE (an order in an unknown symbol is not sent). */
  knowsSymbol(symbol: string): Promise<boolean>;
  /**
   * Turns an order-stream payload into an order, or throws naming what is wrong (an
   * `UnverifiedUpdateError` for a signature the venue's check refuses).
   */
  parseUpdate(raw: unknown): VenueOrder;
  /** Optional capability: the account's available margin (with `marginRate`). */
  margin?(): Promise<BrokerMargin>;
  /** The share of an entry's value the broker blocks for it under a product. */
  marginRate?(product: 'INTRADAY' | 'DELIVERY'): number;
  /** Optional capability: today's circuit limits of `symbols`. */
  priceBands?(symbols: readonly string[]): Promise<ReadonlyMap<string, PriceBand>>;
}

/** The socket carrying the broker's order updates. */
export interface OrderStream {
  connected(): boolean;
  onOrderUpdate(listener: (raw: unknown) => void): void;
  /** Called on every open; `reconnect` is false for the first. */
  onConnect(listener: (reconnect: boolean) => void): void;
}

/**
 * Positions per strategy and symbol from the day's tagged orders; whatever the broker's net NSE
 * position holds beyond them (opened behind our back) is reported under the strategy
 * "unattributed", so reconciliation sees it instead of it vanishing.
 */
export function attributeVenuePositions(
  book: readonly VenueOrder[],
  net: ReadonlyArray<{ symbol: string; quantity: number }>,
  strategyOfTag: (tag: string) => string,
): BrokerPosition[] {
  const ours = new Map<string, BrokerPosition>();
  const attributed = new Map<string, number>();
  for (const o of book) {
    if (o.exchange !== 'NSE' || o.filledQuantity === 0 || !digestOfTag(o.tag)) continue;
    const strategyId = strategyOfTag(o.tag ?? '');
    const signed = o.side === 'BUY' ? o.filledQuantity : -o.filledQuantity;
    const key = `${strategyId}\u0000${o.symbol}`;
    const q = (ours.get(key)?.quantity ?? 0) + signed;
    ours.set(key, { strategyId, symbol: o.symbol, quantity: q });
    attributed.set(o.symbol, (attributed.get(o.symbol) ?? 0) + signed);
  }
  const result = [...ours.values()].filter((p) => p.quantity !== 0);
  const atBroker = new Map<string, number>();
  for (const p of net) atBroker.set(p.symbol, (atBroker.get(p.symbol) ?? 0) + p.quantity);
  for (const [symbol, quantity] of atBroker) {
    const rest = quantity - (attributed.get(symbol) ?? 0);
    if (rest !== 0) result.push({ strategyId: 'unattributed', symbol, quantity: rest });
  }
  return result;
}
