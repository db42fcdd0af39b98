import { createHash } from 'node:crypto';
import type { OrderEngine } from '../shared/order-engine';
import type { MarketState, PriceWalk } from '../shared/price-walk';
import type { OrderSnapshot, SimTrade } from '../shared/sim-order';
import { istTimestamp, rupees } from '../shared/units';

/**
 * The simulator's book rendered in Kite's JSON shapes: orders (the order book, an order's
 * history and the ticker's order updates share one shape), trades, positions, margins, quotes.
 */

/** An order (or one state of it) as `GET /orders` lists it. */
export function orderJson(order: OrderSnapshot, userId: string) {
  const pending =
    order.status === 'OPEN' || order.status === 'TRIGGER PENDING'
      ? order.quantity - order.filledQuantity
      : 0;
  return {
    placed_by: userId,
    order_id: order.orderId,
    exchange_order_id: order.exchangeOrderId,
    parent_order_id: null,
    status: order.status,
    status_message: order.statusMessage,
    status_message_raw: order.statusMessage,
    order_timestamp: istTimestamp(order.orderEpochMs),
    exchange_update_timestamp:
      order.exchangeEpochMs === null ? null : istTimestamp(order.exchangeEpochMs),
    exchange_timestamp: order.exchangeEpochMs === null ? null : istTimestamp(order.exchangeEpochMs),
    variety: 'regular',
    modified: order.modified,
    exchange: 'NSE',
    tradingsymbol: order.instrument.tradingsymbol,
    instrument_token: order.instrument.instrumentToken,
    order_type: order.orderType,
    transaction_type: order.transactionType,
    validity: order.validity,
    validity_ttl: 0,
    product: order.product,
    quantity: order.quantity,
    disclosed_quantity: 0,
    price: rupees(order.pricePaise),
    trigger_price: rupees(order.triggerPaise),
    average_price: rupees(order.averagePaise),
    filled_quantity: order.filledQuantity,
    pending_quantity: pending,
    cancelled_quantity: order.cancelledQuantity,
    market_protection: 0,
    meta: {},
    tag: order.tag ?? null,
    tags: order.tag === undefined ? [] : [order.tag],
    guid: `sim-${order.orderId}`,
  };
}

/**
 * The `data` of a ticker order-update message: the order plus the postback fields (`user_id`,
 * `unfilled_quantity`, `app_id`, and `checksum = sha256(order_id + order_timestamp + api_secret)`).
 */
export function orderUpdateJson(order: OrderSnapshot, userId: string, apiSecret: string) {
  const base = orderJson(order, userId);
  const checksum = createHash('sha256')
    .update(base.order_id + base.order_timestamp + apiSecret)
    .digest('hex');
  return {
    ...base,
    user_id: userId,
    unfilled_quantity: order.quantity - order.filledQuantity - order.cancelledQuantity,
    app_id: 1,
    checksum,
  };
}

/** A fill as `GET /trades` lists it. */
export function tradeJson(trade: SimTrade) {
  return {
    trade_id: trade.tradeId,
    order_id: trade.order.orderId,
    exchange: 'NSE',
    tradingsymbol: trade.order.instrument.tradingsymbol,
    instrument_token: trade.order.instrument.instrumentToken,
    product: trade.order.product,
    average_price: rupees(trade.pricePaise),
    quantity: trade.quantity,
    exchange_order_id: trade.order.exchangeOrderId,
    transaction_type: trade.order.transactionType,
    fill_timestamp: istTimestamp(trade.fillEpochMs),
    order_timestamp: istTimestamp(trade.order.orderEpochMs),
    exchange_timestamp: istTimestamp(trade.fillEpochMs),
  };
}

/** `GET /portfolio/positions`: everything is a day position (no overnight carry), so net = day. */
export function positionsJson(engine: OrderEngine, walk: PriceWalk) {
  const groups = new Map<string, SimTrade[]>();
  for (const trade of engine.trades()) {
    const key = `${trade.order.instrument.instrumentToken}:${trade.order.product}`;
    groups.set(key, [...(groups.get(key) ?? []), trade]);
  }
  const positions = [...groups.values()].map((trades) => {
    const first = trades[0] as SimTrade;
    const { instrument, product } = first.order;
    const sum = (side: 'BUY' | 'SELL', f: (t: SimTrade) => number) =>
      trades.filter((t) => t.order.transactionType === side).reduce((acc, t) => acc + f(t), 0);
    const buyQty = sum('BUY', (t) => t.quantity);
    const sellQty = sum('SELL', (t) => t.quantity);
    const buyValue = sum('BUY', (t) => t.quantity * t.pricePaise);
    const sellValue = sum('SELL', (t) => t.quantity * t.pricePaise);
    const quantity = buyQty - sellQty;
    const ltp = walk.state(instrument.instrumentToken)?.ltpPaise ?? 0;
    const pnl = sellValue - buyValue + quantity * ltp;
    const average = quantity > 0 ? buyValue / buyQty : quantity < 0 ? sellValue / sellQty : 0;
    return {
      tradingsymbol: instrument.tradingsymbol,
      exchange: 'NSE',
      instrument_token: instrument.instrumentToken,
      product,
      quantity,
      overnight_quantity: 0,
      multiplier: 1,
      average_price: rupees(average),
      close_price: rupees(instrument.closePaise),
      last_price: rupees(ltp),
      value: rupees(sellValue - buyValue),
      pnl: rupees(pnl),
      m2m: rupees(pnl),
      unrealised: rupees(pnl),
      realised: 0,
      buy_quantity: buyQty,
      buy_price: buyQty ? rupees(buyValue / buyQty) : 0,
      buy_value: rupees(buyValue),
      buy_m2m: rupees(buyValue),
      sell_quantity: sellQty,
      sell_price: sellQty ? rupees(sellValue / sellQty) : 0,
      sell_value: rupees(sellValue),
      sell_m2m: rupees(sellValue),
      day_buy_quantity: buyQty,
      day_buy_price: buyQty ? rupees(buyValue / buyQty) : 0,
      day_buy_value: rupees(buyValue),
      day_sell_quantity: sellQty,
      day_sell_price: sellQty ? rupees(sellValue / sellQty) : 0,
      day_sell_value: rupees(sellValue),
    };
  });
  return { net: positions, day: positions };
}

/** `GET /user/margins/equity`: cash, what is blocked and what is left. */
export function equityMarginsJson(engine: OrderEngine) {
  const used = engine.account.usedMarginPaise();
  const cash = engine.account.cashPaise;
  return {
    enabled: true,
    net: rupees(cash - used),
    available: {
      adhoc_margin: 0,
      cash: rupees(cash),
      opening_balance: rupees(cash),
      live_balance: rupees(cash - used),
      collateral: 0,
      intraday_payin: 0,
    },
    utilised: {
      debits: rupees(used),
      exposure: 0,
      m2m_realised: 0,
      m2m_unrealised: 0,
      option_premium: 0,
      payout: 0,
      span: rupees(used),
      holding_sales: 0,
      turnover: 0,
      liquid_collateral: 0,
      stock_collateral: 0,
      delivery: 0,
    },
  };
}

/** An empty commodity segment: the simulator's account trades equity only. */
export const commodityMarginsJson = () => ({
  enabled: false,
  net: 0,
  available: {
    adhoc_margin: 0,
    cash: 0,
    opening_balance: 0,
    live_balance: 0,
    collateral: 0,
    intraday_payin: 0,
  },
  utilised: {
    debits: 0,
    exposure: 0,
    m2m_realised: 0,
    m2m_unrealised: 0,
    option_premium: 0,
    payout: 0,
    span: 0,
    holding_sales: 0,
    turnover: 0,
    liquid_collateral: 0,
    stock_collateral: 0,
    delivery: 0,
  },
});

/** One instrument of `GET /quote`, with the circuit limits and the 5-level depth. */
export function quoteJson(state: MarketState) {
  const level = (l: { pricePaise: number; quantity: number; orders: number }) => ({
    price: rupees(l.pricePaise),
    quantity: l.quantity,
    orders: l.orders,
  });
  return {
    instrument_token: state.instrument.instrumentToken,
    timestamp: istTimestamp(state.exchangeSec * 1000),
    last_trade_time: istTimestamp(state.lastTradeSec * 1000),
    last_price: rupees(state.ltpPaise),
    last_quantity: state.lastQuantity,
    buy_quantity: state.totalBuyQuantity,
    sell_quantity: state.totalSellQuantity,
    volume: state.volume,
    average_price: rupees(state.averagePaise),
    oi: 0,
    oi_day_high: 0,
    oi_day_low: 0,
    net_change: rupees(state.ltpPaise - state.closePaise),
    lower_circuit_limit: rupees(state.lowerCircuitPaise),
    upper_circuit_limit: rupees(state.upperCircuitPaise),
    ohlc: {
      open: rupees(state.openPaise),
      high: rupees(state.highPaise),
      low: rupees(state.lowPaise),
      close: rupees(state.closePaise),
    },
    depth: { buy: state.depth.buy.map(level), sell: state.depth.sell.map(level) },
  };
}
