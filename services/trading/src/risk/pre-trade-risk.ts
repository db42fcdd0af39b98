import type { RiskLimits } from '../../../../contract/risk-limits';
import type { Quote } from '../broker/broker';
import type { Instrument, OrderRequest, Position, TradingState } from '../domain';
import { isStopType, orderPricesProblem, sideSign, triggerReached } from '../domain';
import type { DuplicateDetector } from './duplicate-detector';
import type { MarginCheck } from './margin-check';
import type { PriceBandCheck } from './price-bands';

/** Every reason an order can be refused before it reaches the broker. */
export const REJECT_REASONS = [
  'HARD_HALT',
  'TRADING_HALTED',
  'TRADING_PAUSED',
  /** The strategy's algo ID is halted (`tradeops halt --algo`): its exits go on. */
  'ALGO_HALTED',
  'MARKET_CLOSED',
  'UNKNOWN_SYMBOL',
  'LOT_SIZE',
  'NOT_REDUCING',
  'NO_MARKET_PRICE',
  'STALE_PRICE',
  'INVALID_PRICES',
  'INVALID_TRIGGER',
  'PRICE_COLLAR',
  'MAX_ORDER_NOTIONAL',
  'MAX_POSITION',
  'MISSING_STOP',
  'INVALID_STOP',
  'PER_TRADE_RISK',
  'PORTFOLIO_HEAT',
  'DAILY_LOSS_STOP',
  'INSUFFICIENT_MARGIN',
  'DUPLICATE_ORDER',
  'ORDER_RATE',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type RiskDecision =
  | {
      readonly ok: true;
      readonly referencePrice: number;
      readonly riskInr: number;
      /** Frees the entry's place toward the broker's door: call once the order is settled. */
      readonly release?: () => void;
    }
  | { readonly ok: false; readonly reason: RejectReason; readonly message: string };

/** What the check reads; all of it in memory, so that a check costs microseconds. */
export interface RiskView {
  state(): TradingState;
  marketOpen(): boolean;
  instrument(symbol: string): Instrument | undefined;
  quote(symbol: string): Quote | undefined;
  position(strategyId: string, symbol: string): Position | undefined;
  /** Quantity of reduce-only orders still working for this strategy and symbol. */
  workingReduceQuantity(strategyId: string, symbol: string): number;
  netQuantity(symbol: string): number;
  heatInr(): number;
  dailyPnlInr(): number;
  /** Why the strategy's algo is halted, or undefined while it is not. */
  algoHalted?(strategyId: string): string | undefined;
}

/** What the check knows of the client's order rate without asking anyone. */
export interface OrderRateGate {
  /** Milliseconds until a slot may free, as far as this task knows (0: the broker's door asks). */
  refusalWaitMs(): number;
  /**
   * Admits an entry toward the broker's door (0), or says how long to wait. An admitted entry
   * holds its place until the returned decision's `release`.
   */
  admitEntry?(): number;
  /** Ends an admission of `admitEntry`. */
  entryDone?(): void;
}

export interface PreTradeRiskOptions {
  /** A quote older than this (real time) cannot price an entry. @default 5000 */
  readonly maxQuoteAgeMs?: number;
  /** The broker's available margin must cover each entry (a broker with margins). */
  readonly margin?: Pick<MarginCheck, 'refusal'>;
  /** The exchange's circuit limits bound the collar (a broker that reports them). */
  readonly bands?: Pick<PriceBandCheck, 'refusal'>;
}

const reject = (reason: RejectReason, message: string): RiskDecision => ({
  ok: false,
  reason,
  message,
});
const inr = (x: number) => `INR ${Math.round(x).toLocaleString('en-IN')}`;

/**
 * The pre-trade checks of product.md, in order; the first that fails names the rejection. Exits
 * (reduce-only orders that really reduce) pass in every state and skip the entry limits, so a
 * halt can always get out of the market.
 */
export class PreTradeRisk {
  private readonly maxQuoteAgeMs: number;
  private readonly margin?: Pick<MarginCheck, 'refusal'>;
  private readonly bands?: Pick<PriceBandCheck, 'refusal'>;

  constructor(
    private readonly limits: RiskLimits,
    private readonly view: RiskView,
    private readonly rate: OrderRateGate,
    private readonly duplicates: DuplicateDetector,
    private readonly now: () => number = Date.now,
    options: PreTradeRiskOptions = {},
  ) {
    this.maxQuoteAgeMs = options.maxQuoteAgeMs ?? 5000;
    this.margin = options.margin;
    this.bands = options.bands;
  }

  check(order: OrderRequest): RiskDecision {
    const { limits, view } = this;
    const now = this.now();
    const capital = limits.capitalInr;

    if (!order.reduceOnly) {
      const state = view.state();
      if (state === 'HARD_HALT')
        return reject('HARD_HALT', 'risk halt is active: only exits are allowed');
      if (state === 'HALTED')
        return reject('TRADING_HALTED', 'trading is halted: only exits are allowed');
      if (state === 'PAUSED')
        return reject('TRADING_PAUSED', 'trading is paused: only exits are allowed');
      const algoHalt = view.algoHalted?.(order.strategyId);
      if (algoHalt !== undefined)
        return reject('ALGO_HALTED', `${algoHalt}: only exits are allowed`);
    }
    if (!view.marketOpen()) return reject('MARKET_CLOSED', 'the market is closed');

    const instrument = view.instrument(order.symbol);
    if (!instrument) return reject('UNKNOWN_SYMBOL', `${order.symbol} is not in the universe`);
    if (order.quantity % instrument.lotSize !== 0) {
      return reject(
        'LOT_SIZE',
        `quantity ${order.quantity} is not a multiple of the lot size ${instrument.lotSize}`,
      );
    }

    const signed = sideSign(order.side) * order.quantity;
    if (order.reduceOnly) {
      const held = view.position(order.strategyId, order.symbol)?.quantity ?? 0;
      // Exits already working count: two full-size exits would otherwise flip the position.
      const free = Math.abs(held) - view.workingReduceQuantity(order.strategyId, order.symbol);
      if (held === 0 || Math.sign(held) === Math.sign(signed) || order.quantity > free) {
        return reject(
          'NOT_REDUCING',
          `reduce-only ${order.side} ${order.quantity} does not reduce position ${held} (${Math.abs(held) - free} already exiting)`,
        );
      }
    }

    const pricesProblem = orderPricesProblem(order);
    if (pricesProblem !== undefined) return reject('INVALID_PRICES', pricesProblem);

    const quote = view.quote(order.symbol);
    if (!quote) return reject('NO_MARKET_PRICE', `no price for ${order.symbol}`);
    if (!order.reduceOnly && now - quote.receivedAt > this.maxQuoteAgeMs) {
      return reject(
        'STALE_PRICE',
        `last price of ${order.symbol} is ${Math.round((now - quote.receivedAt) / 1000)} s old`,
      );
    }
    const last = quote.price;
    if (isStopType(order.type) && order.triggerPrice !== undefined) {
      // Kite's rule: a stop already reached would go at once; it is refused, not sent.
      if (triggerReached(order.side, order.triggerPrice, last)) {
        return reject(
          'INVALID_TRIGGER',
          `trigger ${order.triggerPrice} of a ${order.side} stop must be ${order.side === 'BUY' ? 'above' : 'below'} the last price ${last}`,
        );
      }
    }
    for (const [what, value] of [
      ['limit', order.limitPrice],
      ['trigger', order.triggerPrice],
    ] as const) {
      if (value === undefined) continue;
      const deviation = (Math.abs(value - last) / last) * 100;
      if (deviation > limits.priceCollarPct) {
        return reject(
          'PRICE_COLLAR',
          `${what} ${value} is ${deviation.toFixed(2)}% from the last price ${last} (collar ${limits.priceCollarPct}%)`,
        );
      }
      const outside = this.bands?.refusal(order.symbol, value, order.reduceOnly);
      if (outside !== undefined) return reject('PRICE_COLLAR', outside);
    }
    // What the order is expected to fill at: its limit, an SL-M its trigger, a market order the last.
    const price = order.limitPrice ?? order.triggerPrice ?? last;

    let riskInr = 0;
    if (!order.reduceOnly) {
      const notional = price * order.quantity;
      if (notional > limits.maxOrderNotionalInr) {
        return reject(
          'MAX_ORDER_NOTIONAL',
          `notional ${inr(notional)} exceeds ${inr(limits.maxOrderNotionalInr)}`,
        );
      }
      const after = Math.abs(view.netQuantity(order.symbol) + signed) * price;
      if (after > limits.maxPositionNotionalInr) {
        return reject(
          'MAX_POSITION',
          `position would be ${inr(after)}, over ${inr(limits.maxPositionNotionalInr)}`,
        );
      }
      if (order.stopPrice === undefined)
        return reject('MISSING_STOP', 'an entry needs a protective stopPrice');
      const stopOnRightSide =
        order.side === 'BUY' ? order.stopPrice < price : order.stopPrice > price;
      if (!stopOnRightSide) {
        return reject(
          'INVALID_STOP',
          `stop ${order.stopPrice} is not on the losing side of ${order.side} at ${price}`,
        );
      }
      riskInr = Math.abs(price - order.stopPrice) * order.quantity;
      const perTrade = (limits.perTradeRiskPct / 100) * capital;
      if (riskInr > perTrade) {
        return reject(
          'PER_TRADE_RISK',
          `trade risks ${inr(riskInr)}, over ${limits.perTradeRiskPct}% of capital (${inr(perTrade)})`,
        );
      }
      const heatAfter = view.heatInr() + riskInr;
      const heatCap = (limits.maxPortfolioHeatPct / 100) * capital;
      if (heatAfter > heatCap) {
        return reject(
          'PORTFOLIO_HEAT',
          `portfolio heat would be ${((heatAfter / capital) * 100).toFixed(2)}%, over ${limits.maxPortfolioHeatPct}%`,
        );
      }
      const dailyPnl = view.dailyPnlInr();
      if (dailyPnl <= -(limits.dailyLossStopPct / 100) * capital) {
        return reject(
          'DAILY_LOSS_STOP',
          `daily P&L ${inr(dailyPnl)} is at the ${limits.dailyLossStopPct}% loss stop`,
        );
      }
      const short = this.margin?.refusal(order, price);
      if (short !== undefined) return reject('INSUFFICIENT_MARGIN', short);
    }

    // Exits are bounded by the working-exit check above; entries by the duplicate window.
    if (!order.reduceOnly && this.duplicates.isDuplicate(order, now)) {
      return reject(
        'DUPLICATE_ORDER',
        `same order from ${order.strategyId} within ${limits.duplicateWindowMs} ms`,
      );
    }
    // The slot itself is taken at the broker's door; this only refuses, without a database
    // round trip, an entry the shared limiter already knows has no slot. Exits wait there.
    const rateWait = order.reduceOnly ? 0 : (this.rate.admitEntry?.() ?? this.rate.refusalWaitMs());
    if (rateWait > 0) {
      return reject(
        'ORDER_RATE',
        `the client's ${limits.maxOrdersPerSecond} orders/s are taken; next slot in about ${rateWait} ms`,
      );
    }
    if (order.reduceOnly) return { ok: true, referencePrice: price, riskInr };
    this.duplicates.remember(order, now);
    const admitted = this.rate.entryDone ? () => this.rate.entryDone?.() : undefined;
    return { ok: true, referencePrice: price, riskInr, release: admitted };
  }
}
