import { isTradable, type SimInstrument } from './instruments';
import { MarginBook } from './margin-book';
import { checkedPrices, checkQuantity } from './order-checks';
import type { PriceWalk } from './price-walk';
import {
  type EngineModification,
  type EnginePlacement,
  isStop,
  type OrderListener,
  type OrderSnapshot,
  type OrderStatus,
  type SimOrder,
  SimRefusal,
  type SimTrade,
} from './sim-order';
import { rupees } from './units';

/**
 * The simulators' order management and matching, shared by the Kite, Upstox and Angel One
 * simulators (each renders it in its broker's shapes): synchronous input checks (symbol, lot
 * size, tick size, stop-loss prices) as `SimRefusal`s, RMS rejections as REJECTED orders with
 * the RMS's status messages (circuit limits, margin: `MarginBook`), and matching against the
 * price walk: market orders fill at the last price, limit orders when crossed, SL / SL-M when
 * triggered. Full fills only.
 */
export class OrderEngine {
  /** The account: cash, margin in use, net quantities. */
  readonly account: MarginBook;
  private readonly orders = new Map<string, SimOrder>();
  private readonly histories = new Map<string, OrderSnapshot[]>();
  private readonly tradeList: SimTrade[] = [];
  private readonly listeners = new Set<OrderListener>();
  private orderSeq = 0;
  private tradeSeq = 0;
  private readonly instruments: readonly SimInstrument[];
  private readonly walk: PriceWalk;
  private readonly now: () => number;

  constructor(options: {
    instruments: readonly SimInstrument[];
    walk: PriceWalk;
    now: () => number;
    /** The account's cash, in paise. */
    availableCashPaise: number;
    userId: string;
  }) {
    this.instruments = options.instruments;
    this.walk = options.walk;
    this.now = options.now;
    this.account = new MarginBook(
      { orders: () => this.orders.values(), trades: () => this.tradeList },
      options.walk,
      options.availableCashPaise,
      options.userId,
    );
  }

  /** Subscribes to order state changes; returns the unsubscribe function. */
  onUpdate(listener: OrderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every order, oldest first. */
  list(): readonly SimOrder[] {
    return [...this.orders.values()];
  }

  /** Every fill, oldest first. */
  trades(): readonly SimTrade[] {
    return this.tradeList;
  }

  /** The states an order went through; a refusal for an unknown id. */
  history(orderId: string): readonly OrderSnapshot[] {
    const history = this.histories.get(orderId);
    if (!history) throw new SimRefusal('input', "Couldn't find that `order_id`.");
    return history;
  }

  /** Every instrument the simulator lists. */
  instrumentsListed(): readonly SimInstrument[] {
    return this.instruments;
  }

  /** The instrument a tradingsymbol names on NSE, or undefined. */
  instrument(tradingsymbol: string): SimInstrument | undefined {
    return this.instruments.find((i) => i.tradingsymbol === tradingsymbol);
  }

  /** Places an order; throws a SimRefusal for what the OMS refuses synchronously. */
  place(fields: EnginePlacement, source: SimOrder['source']): SimOrder {
    const instrument = this.instrument(fields.tradingsymbol);
    if (!instrument || !isTradable(instrument))
      throw new SimRefusal('input', 'Invalid `tradingsymbol`.');
    const prices = checkedPrices(instrument, fields.order_type, fields);
    checkQuantity(instrument, fields.quantity);
    const order: SimOrder = {
      orderId: this.nextOrderId(),
      instrument,
      transactionType: fields.transaction_type,
      product: fields.product,
      tag: fields.tag,
      source,
      orderEpochMs: this.now(),
      exchangeOrderId: null,
      orderType: fields.order_type,
      validity: fields.validity,
      quantity: fields.quantity,
      pricePaise: prices.pricePaise,
      triggerPaise: prices.triggerPaise,
      status: 'PUT ORDER REQ RECEIVED',
      statusMessage: null,
      filledQuantity: 0,
      averagePaise: 0,
      cancelledQuantity: 0,
      exchangeEpochMs: null,
      modified: false,
      triggered: false,
    };
    this.orders.set(order.orderId, order);
    this.histories.set(order.orderId, []);
    this.record(order);
    this.transition(order, 'VALIDATION PENDING', false);
    const rejection = this.account.rmsRejection(order);
    if (rejection) {
      order.statusMessage = rejection;
      this.transition(order, 'REJECTED');
      return order;
    }
    this.transition(order, 'OPEN PENDING', false);
    order.exchangeOrderId = String(1_100_000_000_000_000 + this.orderSeq);
    order.exchangeEpochMs = this.now();
    this.transition(order, isStop(order) ? 'TRIGGER PENDING' : 'OPEN');
    this.match(order, true);
    return order;
  }

  /** Modifies an open or trigger-pending order. */
  modify(orderId: string, fields: EngineModification): SimOrder {
    const order = this.pending(orderId, 'modified');
    const orderType = fields.order_type ?? order.orderType;
    const prices = checkedPrices(order.instrument, orderType, {
      price: fields.price ?? rupees(order.pricePaise),
      trigger_price: fields.trigger_price ?? rupees(order.triggerPaise),
      transaction_type: order.transactionType,
    });
    const quantity = fields.quantity ?? order.quantity;
    checkQuantity(order.instrument, quantity);
    order.orderType = orderType;
    order.quantity = quantity;
    order.pricePaise = prices.pricePaise;
    order.triggerPaise = prices.triggerPaise;
    order.validity = fields.validity ?? order.validity;
    order.modified = true;
    order.exchangeEpochMs = this.now();
    this.transition(order, 'MODIFIED', false);
    this.transition(order, isStop(order) && !order.triggered ? 'TRIGGER PENDING' : 'OPEN');
    this.match(order, true);
    return order;
  }

  /** Cancels an open or trigger-pending order. */
  cancel(orderId: string): SimOrder {
    const order = this.pending(orderId, 'cancelled');
    order.cancelledQuantity = order.quantity - order.filledQuantity;
    order.exchangeEpochMs = this.now();
    this.transition(order, 'CANCELLED');
    return order;
  }

  /** Re-matches every resting order against the latest prices (called after each walk step). */
  matchAll(): void {
    for (const order of this.orders.values()) {
      if (order.status === 'OPEN' || order.status === 'TRIGGER PENDING') this.match(order, false);
    }
  }

  private pending(orderId: string, verb: 'modified' | 'cancelled'): SimOrder {
    const order = this.orders.get(orderId);
    if (!order) throw new SimRefusal('input', "Couldn't find that `order_id`.");
    if (order.status !== 'OPEN' && order.status !== 'TRIGGER PENDING')
      throw new SimRefusal('state', `Order cannot be ${verb} as it is in ${order.status} state.`);
    return order;
  }

  /** `arriving`: the order just reached the exchange (placed, modified or triggered). */
  private match(order: SimOrder, arriving: boolean): void {
    const state = this.walk.state(order.instrument.instrumentToken);
    if (!state) return;
    const ltp = state.ltpPaise;
    const buy = order.transactionType === 'BUY';
    let entering = arriving;
    if (isStop(order) && !order.triggered) {
      const hit = buy ? ltp >= order.triggerPaise : ltp <= order.triggerPaise;
      if (!hit) return;
      order.triggered = true;
      entering = true;
      if (order.orderType === 'SL') this.transition(order, 'OPEN');
    }
    if (order.orderType === 'MARKET' || order.orderType === 'SL-M') {
      this.fill(order, ltp);
      return;
    }
    const crossed = buy ? ltp <= order.pricePaise : ltp >= order.pricePaise;
    // A marketable order fills at the market; a resting one the market trades through, at its price.
    if (crossed) this.fill(order, entering ? ltp : order.pricePaise);
    else if (order.validity === 'IOC') {
      order.cancelledQuantity = order.quantity;
      this.transition(order, 'CANCELLED');
    }
  }

  private fill(order: SimOrder, pricePaise: number): void {
    const quantity = order.quantity - order.filledQuantity;
    this.tradeSeq += 1;
    const fillEpochMs = this.now();
    this.tradeList.push({
      tradeId: String(10_000_000 + this.tradeSeq),
      order,
      quantity,
      pricePaise,
      fillEpochMs,
    });
    order.averagePaise = pricePaise;
    order.filledQuantity = order.quantity;
    order.exchangeEpochMs = fillEpochMs;
    this.transition(order, 'COMPLETE');
  }

  private transition(order: SimOrder, status: OrderStatus, notify = true): void {
    order.status = status;
    this.record(order);
    if (!notify) return;
    for (const listener of this.listeners) listener(order);
  }

  private record(order: SimOrder): void {
    this.histories.get(order.orderId)?.push({ ...order });
  }

  private nextOrderId(): string {
    this.orderSeq += 1;
    const day = new Date(this.now()).toISOString().slice(2, 10).replaceAll('-', '');
    return `${day}${String(this.orderSeq).padStart(9, '0')}`;
  }
}
