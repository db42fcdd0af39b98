/** The trading states of product.md, from most to least restrictive. */
export const TRADING_STATES = ['HARD_HALT', 'HALTED', 'PAUSED', 'ACTIVE'] as const;
export type TradingState = (typeof TRADING_STATES)[number];

export type Side = 'BUY' | 'SELL';
/** Kite's order types: SL and SL-M wait at the broker until the last price reaches the trigger. */
export const ORDER_TYPES = ['MARKET', 'LIMIT', 'SL', 'SL-M'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];
export const OPEN_STATUSES = ['NEW', 'ACK', 'PARTIAL'] as const;
export type OrderStatus = (typeof OPEN_STATUSES)[number] | 'FILLED' | 'CANCELLED' | 'REJECTED';

/** +1 for BUY, -1 for SELL. */
export function sideSign(side: Side): 1 | -1 {
  return side === 'BUY' ? 1 : -1;
}

/** An instrument the service may trade. */
export interface Instrument {
  readonly symbol: string;
  readonly exchange: 'NSE';
  readonly tickSize: number;
  readonly lotSize: number;
  /** Starting price of the paper-mode simulation. */
  readonly referencePrice: number;
}

/** What a strategy or an operator asks for. */
export interface OrderRequest {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: number;
  /** The limit of a LIMIT or SL order. */
  readonly limitPrice?: number;
  /** The last price that releases an SL or SL-M order. */
  readonly triggerPrice?: number;
  /** Protective stop of an entry: the distance to it is the trade's risk. */
  readonly stopPrice?: number;
  /** Only reduces an existing position: allowed in every state. */
  readonly reduceOnly: boolean;
}

export interface Order extends OrderRequest {
  readonly id: string;
  /**
   * The exchange algo ID of the order's strategy when it was placed (SEBI's algo framework):
   * stored on the row, the broker tag's prefix. Absent for an order with no algo (a manual order,
   * a strategy without one in PAPER, an order placed before algo IDs existed).
   */
  readonly algoId?: string;
  status: OrderStatus;
  filledQuantity: number;
  avgFillPrice?: number;
  brokerOrderId?: string;
  statusReason?: string;
  readonly fenceToken?: number;
  readonly tradingDay: string;
  readonly createdAt: number;
}

/** Whether an order of this type waits for its trigger. */
export const isStopType = (type: OrderType) => type === 'SL' || type === 'SL-M';

/**
 * What is wrong with an order's prices for its type, by Kite's rules (undefined: nothing): a
 * LIMIT has a limit; an SL has a limit and a trigger, the trigger at or below the limit for a BUY
 * and at or above it for a SELL (once released, the limit must be marketable); an SL-M has a
 * trigger only; a MARKET has neither.
 */
export function orderPricesProblem(
  order: Pick<OrderRequest, 'type' | 'side' | 'limitPrice' | 'triggerPrice'>,
): string | undefined {
  const { type, side, limitPrice, triggerPrice } = order;
  const a = isStopType(type) ? `an ${type}` : `a ${type}`;
  const needsLimit = type === 'LIMIT' || type === 'SL';
  const needsTrigger = isStopType(type);
  if (needsLimit && limitPrice === undefined) return `limitPrice: required for ${a} order`;
  if (!needsLimit && limitPrice !== undefined)
    return `limitPrice: not allowed on ${a} order (got ${limitPrice})`;
  if (needsTrigger && triggerPrice === undefined) return `triggerPrice: required for ${a} order`;
  if (!needsTrigger && triggerPrice !== undefined)
    return `triggerPrice: not allowed on ${a} order (got ${triggerPrice})`;
  if (type === 'SL' && limitPrice !== undefined && triggerPrice !== undefined) {
    const wrong = side === 'BUY' ? triggerPrice > limitPrice : triggerPrice < limitPrice;
    if (wrong)
      return `triggerPrice: ${triggerPrice} is ${side === 'BUY' ? 'above' : 'below'} the limit ${limitPrice} of an SL ${side} (it must be at or ${side === 'BUY' ? 'below' : 'above'} it)`;
  }
  return undefined;
}

/**
 * Whether `last` has reached a stop's trigger: a BUY stop triggers at or above it, a SELL stop at
 * or below it.
 */
export function triggerReached(side: Side, triggerPrice: number, last: number): boolean {
  return side === 'BUY' ? last >= triggerPrice : last <= triggerPrice;
}

/** An execution reported by the broker. */
export interface Fill {
  readonly brokerFillId: string;
  readonly brokerOrderId: string;
  readonly clientOrderId: string;
  readonly quantity: number;
  readonly price: number;
  readonly filledAt: number;
}

export interface Position {
  readonly strategyId: string;
  readonly symbol: string;
  /** Signed: long > 0, short < 0. */
  quantity: number;
  avgPrice: number;
  /** Protective stop of the open position, if any. */
  stopPrice?: number;
  /** Realized today. */
  realizedPnl: number;
}

/** Rounds to the instrument's tick. */
export function roundToTick(price: number, tick: number): number {
  return Math.round(Math.round(price / tick) * tick * 100) / 100;
}

/** Quantities that differ between two books keyed alike (ours and the broker's); 0 if absent. */
export function quantityBreaks(
  ours: ReadonlyMap<string, number>,
  theirs: ReadonlyMap<string, number>,
): Array<{ key: string; ours: number; broker: number }> {
  return [...new Set([...ours.keys(), ...theirs.keys()])]
    .map((key) => ({ key, ours: ours.get(key) ?? 0, broker: theirs.get(key) ?? 0 }))
    .filter((m) => m.ours !== m.broker);
}

/** Rounds to paise (two decimals): rupee figures in views and gauges. */
export const round2 = (x: number) => Math.round(x * 100) / 100;
