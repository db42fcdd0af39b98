import type { Fill, Order, Side } from '../domain';

/** The best prices the venue would fill against. */
export interface Quote {
  readonly price: number;
  readonly bid: number;
  readonly ask: number;
  /** Real time the quote was received (epoch ms). */
  readonly receivedAt: number;
}

export interface QuoteSource {
  quote(symbol: string): Quote | undefined;
}

export type BrokerOrderStatus = 'OPEN' | 'FILLED' | 'CANCELLED' | 'REJECTED';

/** An order as the broker records it. */
export interface BrokerOrder {
  readonly brokerOrderId: string;
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly status: BrokerOrderStatus;
  readonly filledQuantity: number;
  readonly reason?: string;
  /** Every execution, from getOrder; in a fill event, only the new one. */
  readonly fills: readonly Fill[];
}

export interface BrokerPosition {
  readonly strategyId: string;
  readonly symbol: string;
  readonly quantity: number;
}

/** The account's margin as the broker reports it. */
export interface BrokerMargin {
  /** What new orders may still block, INR (Kite: the equity segment's `net`). */
  readonly availableInr: number;
}

/** The exchange's price band of a symbol for the day (its circuit limits). */
export interface PriceBand {
  readonly lower: number;
  readonly upper: number;
}

/** A named access token and when it stops working. */
export interface BrokerToken {
  readonly name: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** What a modify changes on a working order (at least one field). */
export interface OrderChanges {
  readonly quantity?: number;
  readonly limitPrice?: number;
  readonly triggerPrice?: number;
}

/** The broker refused the order (it will never fill). */
export class BrokerRejectedError extends Error {
  override readonly name = 'BrokerRejectedError';
}

/**
 * Runs one message's call to the venue. The order manager passes its circuit breaker's timed run
 * here, so that only the call itself is timed: a wait before it (an exit queued for its
 * order-rate slot) is not the broker being slow.
 */
export type SendThrough = <T>(send: () => Promise<T>) => Promise<T>;

/** Sends at once (no breaker). */
export const sendDirectly: SendThrough = (send) => send();

export interface BrokerEvents {
  /** An execution; the order state after it is in `order`. */
  onFill(listener: (fill: Fill, order: BrokerOrder) => void): void;
  /** An order reached CANCELLED or REJECTED at the broker. */
  onOrderClosed(listener: (order: BrokerOrder) => void): void;
}

/**
 * One interface for every broker adapter. Paper is the default and always available; live
 * adapters (Kite, Upstox, Angel One) implement the same calls.
 */
export interface Broker extends BrokerEvents {
  readonly name: string;
  connected(): boolean;
  /**
   * Sends an order; resolves with the broker's id once acknowledged. The call to the venue runs
   * inside `through` (once); anything the adapter waits for before it stays outside.
   */
  submit(order: Order, through?: SendThrough): Promise<{ brokerOrderId: string }>;
  /** Cancels a working order; the call to the venue runs inside `through`, as for `submit`. */
  cancel(clientOrderId: string, through?: SendThrough): Promise<void>;
  /**
   * Changes a working order's quantity, limit or trigger price; the call to the venue runs inside
   * `through`. A change the venue refuses (the order closed, prices that do not fit its type) is
   * a BrokerRejectedError in the venue's words.
   */
  modify(clientOrderId: string, changes: OrderChanges, through?: SendThrough): Promise<void>;
  /** The broker's record of one of our orders, or undefined if it never arrived. */
  getOrder(clientOrderId: string): Promise<BrokerOrder | undefined>;
  positions(): Promise<BrokerPosition[]>;
  /**
   * Takes over the working orders of strategies this task now holds. A live broker matches
   * orders itself and has nothing to do here; the paper venue resumes matching them.
   */
  adopt(strategyIds: readonly string[]): Promise<void>;
  /** Stops working the orders of strategies this task no longer holds. */
  release(strategyIds: readonly string[]): void;
  tokens(): Promise<BrokerToken[]>;
  /**
   * Why the broker refuses our access token, in its own words; undefined while it is accepted.
   * A live adapter sets it on the first token error of any call, so the service halts (cause
   * "broker token invalid") at its next state evaluation; only a successful call clears it.
   */
  tokenProblem?(): string | undefined;
  /**
   * Optional capability: the account's available margin, asked of the broker now. A broker with
   * it (and `marginRate`) gets the pre-trade margin check (INSUFFICIENT_MARGIN); the paper venue
   * has no cash account and declines.
   */
  margin?(): Promise<BrokerMargin>;
  /** The fraction of an entry's value the broker blocks for it (the strategy's product). */
  marginRate?(strategyId: string): number;
  /**
   * Optional capability: today's circuit limits of `symbols` (Kite's quotes). With it, a priced
   * order outside its symbol's band is refused before it is sent (PRICE_COLLAR).
   */
  priceBands?(symbols: readonly string[]): Promise<ReadonlyMap<string, PriceBand>>;
  /** A new price for `symbol`: the paper venue re-tries its resting orders; live brokers ignore it. */
  onQuote?(symbol: string): void;
  close(): Promise<void>;
}
