import { createHash, timingSafeEqual } from 'node:crypto';
import { type Connect, KiteConnect } from 'kiteconnect';
import type { BrokerMargin, OrderChanges, PriceBand } from '../broker';
import {
  type TaggedVenue,
  UnverifiedUpdateError,
  type VenueFill,
  type VenueOrder,
  type VenuePlacement,
} from '../tagged-venue';
import { KiteInstruments } from './kite-instruments';
import {
  KiteEquityMarginsSchema,
  KiteOrderSchema,
  KitePlaceResponseSchema,
  KitePositionsSchema,
  KiteTradeSchema,
  kiteError,
  kiteTime,
  orderFromKite,
  parseKite,
} from './kite-wire';

export interface KiteVenueOptions {
  readonly apiKey: string;
  /** The app's secret: order updates are signed with it (checked before use). */
  readonly apiSecret: string;
  /** Read before every call: a token renewed in Secrets Manager is used at once. */
  readonly accessToken: () => string;
  /** @default https://api.kite.trade (tests: the simulator) */
  readonly root?: string;
  /** The SDK's per-request timeout; below the breaker's 5 s so the SDK answers first. @default 4000 */
  readonly timeoutMs?: number;
  /**
   * The share of an MIS entry's value Zerodha blocks (its intraday leverage; 0.2 is 5x). CNC
   * blocks the whole value. @default 0.2
   */
  readonly misMarginRate?: number;
}

/**
 * Whether an order update carries Kite's signature: `checksum` = SHA-256(order_id +
 * order_timestamp + api_secret), as the ticker and postbacks send it (the timestamp as text).
 */
export function orderUpdateSigned(raw: unknown, apiSecret: string): boolean {
  const u = raw as { order_id?: unknown; order_timestamp?: unknown; checksum?: unknown } | null;
  if (
    typeof u?.order_id !== 'string' ||
    typeof u.order_timestamp !== 'string' ||
    typeof u.checksum !== 'string'
  )
    return false;
  const expected = createHash('sha256')
    .update(u.order_id + u.order_timestamp + apiSecret)
    .digest();
  const given = Buffer.from(u.checksum, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Kite's product of ours: intraday is MIS, delivery CNC (NSE equities only). */
const PRODUCT = { INTRADAY: 'MIS', DELIVERY: 'CNC' } as const;

/**
 * Zerodha Kite Connect v3 on the official SDK as a `TaggedVenue`: every call made with the token
 * held now, every answer parsed with zod, every error a VenueError with Kite's `error_type` and
 * message. Ticker order updates are checked against Kite's checksum before use. The NSE
 * instrument list (cached per IST day) answers which symbols Kite lists; Kite's margins and
 * quotes' circuit limits are the broker's margin and price-band capabilities.
 */
export class KiteVenue implements TaggedVenue {
  readonly label = 'Kite';
  readonly instruments: KiteInstruments;
  private readonly kite: Connect;

  constructor(private readonly options: KiteVenueOptions) {
    this.kite = new KiteConnect({
      api_key: options.apiKey,
      root: options.root,
      timeout: options.timeoutMs ?? 4000,
    });
    this.instruments = new KiteInstruments({
      getInstruments: (exchange) => this.sdk((k) => k.getInstruments(exchange)),
      getQuote: (instruments) => this.sdk((k) => k.getQuote(instruments)),
    });
  }

  async place({ order, product, tag }: VenuePlacement): Promise<string> {
    const raw = await this.sdk((k) =>
      k.placeOrder('regular', {
        exchange: 'NSE',
        tradingsymbol: order.symbol,
        transaction_type: order.side,
        quantity: order.quantity,
        product: PRODUCT[product],
        order_type: order.type,
        validity: 'DAY',
        // Only the prices the type takes (checked against it before the order was recorded).
        ...(order.limitPrice === undefined ? {} : { price: order.limitPrice }),
        ...(order.triggerPrice === undefined ? {} : { trigger_price: order.triggerPrice }),
        tag,
      }),
    );
    return parseKite(KitePlaceResponseSchema, raw, 'order placement').order_id;
  }

  async modify(orderId: string, changes: OrderChanges): Promise<void> {
    await this.sdk((k) =>
      k.modifyOrder('regular', orderId, {
        quantity: changes.quantity,
        price: changes.limitPrice,
        trigger_price: changes.triggerPrice,
      }),
    );
  }

  async cancel(orderId: string): Promise<void> {
    await this.sdk((k) => k.cancelOrder('regular', orderId));
  }

  async orderBook(): Promise<VenueOrder[]> {
    const raw = await this.sdk((k) => k.getOrders());
    return parseKite(KiteOrderSchema.array(), raw, 'order book').map(orderFromKite);
  }

  /** Every execution of the order (Kite's trade ids). */
  async fills(orderId: string): Promise<VenueFill[]> {
    const raw = await this.sdk((k) => k.getOrderTrades(orderId));
    return parseKite(KiteTradeSchema.array(), raw, 'trades').map((t) => ({
      fillId: t.trade_id,
      quantity: t.quantity,
      price: t.average_price,
      filledAt: kiteTime(t.fill_timestamp, Date.now()),
    }));
  }

  async netPositions(): Promise<Array<{ symbol: string; quantity: number }>> {
    const raw = await this.sdk((k) => k.getPositions());
    return parseKite(KitePositionsSchema, raw, 'positions')
      .net.filter((p) => p.exchange === 'NSE')
      .map((p) => ({ symbol: p.tradingsymbol, quantity: p.quantity }));
  }

  async knowsSymbol(symbol: string): Promise<boolean> {
    await this.instruments.load();
    return this.instruments.bySymbolName(symbol) !== undefined;
  }

  /** A ticker order update: parsed, and dropped unless Kite signed it. */
  parseUpdate(raw: unknown): VenueOrder {
    const order = parseKite(KiteOrderSchema, raw, 'order update');
    if (!orderUpdateSigned(raw, this.options.apiSecret))
      throw new UnverifiedUpdateError({
        orderId: order.order_id,
        tag: order.tag,
        status: order.status,
        symbol: order.tradingsymbol,
      });
    return orderFromKite(order);
  }

  /** The equity segment's available margin (`net` of /user/margins/equity). */
  async margin(): Promise<BrokerMargin> {
    const raw = await this.sdk((k) => k.getMargins('equity'));
    return { availableInr: parseKite(KiteEquityMarginsSchema, raw, 'equity margins').net };
  }

  marginRate(product: 'INTRADAY' | 'DELIVERY'): number {
    return product === 'INTRADAY' ? (this.options.misMarginRate ?? 0.2) : 1;
  }

  /** Today's circuit limits of `symbols`, from Kite's quotes. */
  priceBands(symbols: readonly string[]): Promise<ReadonlyMap<string, PriceBand>> {
    return this.instruments.circuitLimits(symbols);
  }

  /** One SDK call with the current token; errors in Kite's words. */
  private async sdk<T>(send: (kite: Connect) => Promise<T>): Promise<T> {
    this.kite.setAccessToken(this.options.accessToken());
    try {
      return await send(this.kite);
    } catch (raw) {
      throw kiteError(raw);
    }
  }
}
