import type { PriceWalk } from './price-walk';
import type { SimOrder, SimTrade } from './sim-order';
import { rupees } from './units';

/** MIS equity is leveraged about 5x at the brokers; CNC needs the full value. */
const MARGIN_RATE = { MIS: 0.2, CNC: 1 } as const;

/**
 * The account behind the engine: its cash, the margin its positions and resting orders block,
 * and the RMS checks of a new order against them (circuit limits, margin), in Zerodha's words.
 */
export class MarginBook {
  constructor(
    private readonly book: {
      readonly orders: () => Iterable<SimOrder>;
      readonly trades: () => readonly SimTrade[];
    },
    private readonly walk: PriceWalk,
    private cash: number,
    private readonly userId: string,
  ) {}

  /** The account's cash (opening balance), in paise. */
  get cashPaise(): number {
    return this.cash;
  }

  /** Sets the account's cash (a pay-in, a payout): what margins report and RMS checks against. */
  setCashPaise(paise: number): void {
    this.cash = paise;
  }

  /** The signed net quantity of an instrument and product from the fills. */
  netQuantity(instrumentToken: number, product: SimOrder['product']): number {
    let net = 0;
    for (const t of this.book.trades()) {
      if (t.order.instrument.instrumentToken !== instrumentToken || t.order.product !== product)
        continue;
      net += t.order.transactionType === 'BUY' ? t.quantity : -t.quantity;
    }
    return net;
  }

  /** Margin blocked by open positions and resting orders, in paise. */
  usedMarginPaise(): number {
    let used = 0;
    const seen = new Set<string>();
    for (const t of this.book.trades()) {
      const key = `${t.order.instrument.instrumentToken}:${t.order.product}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const net = this.netQuantity(t.order.instrument.instrumentToken, t.order.product);
      const ltp = this.walk.state(t.order.instrument.instrumentToken)?.ltpPaise ?? 0;
      used += Math.abs(net) * ltp * MARGIN_RATE[t.order.product];
    }
    for (const o of this.book.orders()) {
      if (o.status !== 'OPEN' && o.status !== 'TRIGGER PENDING') continue;
      used += this.requiredMarginPaise(o);
    }
    return Math.round(used);
  }

  /** Why RMS rejects the order (Zerodha's status message), or undefined when it passes. */
  rmsRejection(order: SimOrder): string | undefined {
    const state = this.walk.state(order.instrument.instrumentToken);
    if (!state) return 'RMS: instrument not quoted';
    const priced = order.orderType === 'LIMIT' || order.orderType === 'SL';
    if (priced && order.pricePaise < state.lowerCircuitPaise) {
      return `Your order price is lower than the current lower circuit limit of ${rupees(state.lowerCircuitPaise).toFixed(2)}. Place an order within the daily range.`;
    }
    if (priced && order.pricePaise > state.upperCircuitPaise) {
      return `Your order price is higher than the current upper circuit limit of ${rupees(state.upperCircuitPaise).toFixed(2)}. Place an order within the daily range.`;
    }
    const required = Math.round(this.requiredMarginPaise(order));
    const available = this.cash - this.usedMarginPaise();
    if (required > available) {
      return `RMS:Margin Exceeds,Required:${rupees(required).toFixed(2)}, Available:${rupees(available).toFixed(2)} for entity account-${this.userId} across exchange across segment across product`;
    }
    return undefined;
  }

  private requiredMarginPaise(order: SimOrder): number {
    const net = this.netQuantity(order.instrument.instrumentToken, order.product);
    const signed = order.transactionType === 'BUY' ? order.quantity : -order.quantity;
    // Only the part that opens or grows a position needs margin; closing frees it.
    const opening = Math.max(0, Math.abs(net + signed) - Math.abs(net));
    const ltp = this.walk.state(order.instrument.instrumentToken)?.ltpPaise ?? 0;
    const price = order.orderType === 'LIMIT' || order.orderType === 'SL' ? order.pricePaise : ltp;
    return opening * price * MARGIN_RATE[order.product];
  }
}
