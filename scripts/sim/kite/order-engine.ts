import { isTradable, type SimInstrument } from './instruments';
import type { ModifyOrderFields, PlaceOrderFields } from './order-schemas';
import type { PriceWalk } from './price-walk';
import { inputError, KiteApiError, rupees, toPaise } from './wire';

/** Kite's order statuses the simulator goes through. */
export type OrderStatus =
  | 'PUT ORDER REQ RECEIVED'
  | 'VALIDATION PENDING'
  | 'OPEN PENDING'
  | 'OPEN'
  | 'TRIGGER PENDING'
  | 'MODIFIED'
  | 'COMPLETE'
  | 'CANCELLED'
  | 'REJECTED';

/** An order in the simulator's book; prices in paise. */
export interface SimOrder {
  readonly orderId: string;
  readonly instrument: SimInstrument;
  readonly transactionType: 'BUY' | 'SELL';
  readonly product: 'MIS' | 'CNC';
  readonly tag: string | undefined;
  /** `api` for orders through the REST API, `external` for ones opened behind its back. */
  readonly source: 'api' | 'external';
  readonly orderEpochMs: number;
  exchangeOrderId: string | null;
  orderType: 'MARKET' | 'LIMIT' | 'SL' | 'SL-M';
  validity: 'DAY' | 'IOC';
  quantity: number;
  pricePaise: number;
  triggerPaise: number;
  status: OrderStatus;
  statusMessage: string | null;
  filledQuantity: number;
  averagePaise: number;
  cancelledQuantity: number;
  exchangeEpochMs: number | null;
  modified: boolean;
  triggered: boolean;
}

/** A fill; prices in paise. */
export interface SimTrade {
  readonly tradeId: string;
  readonly order: SimOrder;
  readonly quantity: number;
  readonly pricePaise: number;
  readonly fillEpochMs: number;
}

/** A state of an order as `GET /orders/:id` lists it (a copy per transition). */
export type OrderSnapshot = Readonly<SimOrder>;

/** Receives every order state change (the ticker turns them into order-update messages). */
export type OrderListener = (order: SimOrder) => void;

/** MIS equity is leveraged about 5x at Zerodha; CNC needs the full value. */
const MARGIN_RATE = { MIS: 0.2, CNC: 1 } as const;

/**
 * The simulator's order management and matching: Kite's synchronous input checks (symbol, lot
 * size, tick size, stop-loss prices), its RMS rejections as REJECTED orders with Kite's status
 * messages (circuit limits, margin), and matching against the price walk: market orders fill at
 * the last price, limit orders when crossed, SL / SL-M when triggered. Full fills only.
 */
export class OrderEngine {
  private readonly orders = new Map<string, SimOrder>();
  private readonly histories = new Map<string, OrderSnapshot[]>();
  private readonly tradeList: SimTrade[] = [];
  private readonly listeners = new Set<OrderListener>();
  private orderSeq = 0;
  private tradeSeq = 0;

  private readonly instruments: readonly SimInstrument[];
  private readonly walk: PriceWalk;
  private readonly now: () => number;
  private availableCashPaise: number;
  private readonly userId: string;

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
    this.availableCashPaise = options.availableCashPaise;
    this.userId = options.userId;
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

  /** The states an order went through, or an InputException for an unknown id. */
  history(orderId: string): readonly OrderSnapshot[] {
    const history = this.histories.get(orderId);
    if (!history) throw inputError("Couldn't find that `order_id`.");
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

  /** Places an order; throws Kite's InputException for what Kite refuses synchronously. */
  place(fields: PlaceOrderFields, source: SimOrder['source']): SimOrder {
    const instrument = this.instrument(fields.tradingsymbol);
    if (!instrument || !isTradable(instrument)) throw inputError('Invalid `tradingsymbol`.');
    const prices = this.checkedPrices(instrument, fields.order_type, fields);
    this.checkQuantity(instrument, fields.quantity);
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
    const rejection = this.rmsRejection(order);
    if (rejection) {
      order.statusMessage = rejection;
      this.transition(order, 'REJECTED');
      return order;
    }
    this.transition(order, 'OPEN PENDING', false);
    order.exchangeOrderId = String(1_100_000_000_000_000 + this.orderSeq);
    order.exchangeEpochMs = this.now();
    const resting = this.isStop(order) ? 'TRIGGER PENDING' : 'OPEN';
    this.transition(order, resting);
    this.match(order, true);
    return order;
  }

  /** Modifies an open or trigger-pending order. */
  modify(orderId: string, fields: ModifyOrderFields): SimOrder {
    const order = this.pending(orderId, 'modified');
    const orderType = fields.order_type ?? order.orderType;
    const prices = this.checkedPrices(order.instrument, orderType, {
      price: fields.price ?? rupees(order.pricePaise),
      trigger_price: fields.trigger_price ?? rupees(order.triggerPaise),
      transaction_type: order.transactionType,
    });
    const quantity = fields.quantity ?? order.quantity;
    this.checkQuantity(order.instrument, quantity);
    order.orderType = orderType;
    order.quantity = quantity;
    order.pricePaise = prices.pricePaise;
    order.triggerPaise = prices.triggerPaise;
    order.validity = fields.validity ?? order.validity;
    order.modified = true;
    order.exchangeEpochMs = this.now();
    this.transition(order, 'MODIFIED', false);
    this.transition(order, this.isStop(order) && !order.triggered ? 'TRIGGER PENDING' : 'OPEN');
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

  /** The signed net quantity of an instrument and product from the fills. */
  netQuantity(instrumentToken: number, product: SimOrder['product']): number {
    let net = 0;
    for (const t of this.tradeList) {
      if (t.order.instrument.instrumentToken !== instrumentToken || t.order.product !== product) {
        continue;
      }
      net += t.order.transactionType === 'BUY' ? t.quantity : -t.quantity;
    }
    return net;
  }

  /** Margin blocked by open positions and resting orders, in paise. */
  usedMarginPaise(): number {
    let used = 0;
    const seen = new Set<string>();
    for (const t of this.tradeList) {
      const key = `${t.order.instrument.instrumentToken}:${t.order.product}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const net = this.netQuantity(t.order.instrument.instrumentToken, t.order.product);
      const ltp = this.walk.state(t.order.instrument.instrumentToken)?.ltpPaise ?? 0;
      used += Math.abs(net) * ltp * MARGIN_RATE[t.order.product];
    }
    for (const o of this.orders.values()) {
      if (o.status !== 'OPEN' && o.status !== 'TRIGGER PENDING') continue;
      used += this.requiredMarginPaise(o);
    }
    return Math.round(used);
  }

  /** The account's cash (opening balance), in paise. */
  get cashPaise(): number {
    return this.availableCashPaise;
  }

  /** Sets the account's cash (a pay-in, a payout): what margins report and RMS checks against. */
  setCashPaise(paise: number): void {
    this.availableCashPaise = paise;
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

  private rmsRejection(order: SimOrder): string | undefined {
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
    const available = this.availableCashPaise - this.usedMarginPaise();
    if (required > available) {
      return `RMS:Margin Exceeds,Required:${rupees(required).toFixed(2)}, Available:${rupees(available).toFixed(2)} for entity account-${this.userId} across exchange across segment across product`;
    }
    return undefined;
  }

  private checkedPrices(
    instrument: SimInstrument,
    orderType: SimOrder['orderType'],
    fields: { price?: number; trigger_price?: number; transaction_type: 'BUY' | 'SELL' },
  ): { pricePaise: number; triggerPaise: number } {
    const tick = instrument.tickPaise;
    const onTick = (value: number | undefined, name: string): number => {
      const paise = toPaise(value ?? 0);
      if (paise === undefined || paise < 0 || paise % tick !== 0) {
        throw inputError(
          `Tick size for this script is ${(tick / 100).toFixed(2)}. Kindly enter ${name} in the multiple of tick size for this script`,
        );
      }
      return paise;
    };
    const needsPrice = orderType === 'LIMIT' || orderType === 'SL';
    const needsTrigger = orderType === 'SL' || orderType === 'SL-M';
    if (needsPrice && !(fields.price && fields.price > 0)) throw inputError('Missing `price`.');
    if (needsTrigger && !(fields.trigger_price && fields.trigger_price > 0)) {
      throw inputError('Missing `trigger_price`.');
    }
    const pricePaise = needsPrice ? onTick(fields.price, 'price') : 0;
    const triggerPaise = needsTrigger ? onTick(fields.trigger_price, 'trigger price') : 0;
    if (orderType === 'SL') {
      const buy = fields.transaction_type === 'BUY';
      if (buy ? triggerPaise > pricePaise : triggerPaise < pricePaise) {
        throw inputError(
          `Trigger price for stoploss ${buy ? 'buy' : 'sell'} orders cannot be ${buy ? 'above' : 'below'} the limit price.`,
        );
      }
    }
    return { pricePaise, triggerPaise };
  }

  private checkQuantity(instrument: SimInstrument, quantity: number): void {
    if (quantity <= 0) throw inputError('Invalid `quantity`: it must be positive.');
    if (quantity % instrument.lotSize !== 0) {
      throw inputError(
        `Quantity should be a multiple of lot size (${instrument.lotSize}) for ${instrument.tradingsymbol}.`,
      );
    }
  }

  private pending(orderId: string, verb: 'modified' | 'cancelled'): SimOrder {
    const order = this.orders.get(orderId);
    if (!order) throw inputError("Couldn't find that `order_id`.");
    if (order.status !== 'OPEN' && order.status !== 'TRIGGER PENDING') {
      throw new KiteApiError(
        400,
        'OrderException',
        `Order cannot be ${verb} as it is in ${order.status} state.`,
      );
    }
    return order;
  }

  private isStop(order: SimOrder): boolean {
    return order.orderType === 'SL' || order.orderType === 'SL-M';
  }

  /** `arriving`: the order just reached the exchange (placed, modified or triggered). */
  private match(order: SimOrder, arriving: boolean): void {
    const state = this.walk.state(order.instrument.instrumentToken);
    if (!state) return;
    const ltp = state.ltpPaise;
    const buy = order.transactionType === 'BUY';
    let entering = arriving;
    if (this.isStop(order) && !order.triggered) {
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
