import type { EnginePosition } from '../shared/engine-views';
import type { SimInstrument } from '../shared/instruments';
import type { OrderSnapshot, SimTrade } from '../shared/sim-order';
import { rupees } from '../shared/units';

/**
 * SmartAPI's wire conventions as the simulator speaks them: `{status:true, message:"SUCCESS",
 * errorcode:"", data}` and `{status:false, message, errorcode, data:null}`, the gateway's token
 * refusal `{success:false, message, errorCode, data:""}`, lower-case order statuses, NSE equities
 * as `<SYMBOL>-EQ` with the exchange token as `symboltoken`, quantities as strings where Angel
 * sends strings. The book itself is the shared engine and price walk (../shared).
 */

/** An error the simulator answers with Angel's envelope (HTTP 200, as Angel answers most). */
export class AngelSimError extends Error {
  constructor(
    readonly errorcode: string,
    message: string,
    readonly httpStatus = 200,
    /** The gateway's shape (`success`/`errorCode`), used for token refusals. */
    readonly gateway = false,
  ) {
    super(message);
    this.name = 'AngelSimError';
  }

  toEnvelope() {
    return this.gateway
      ? { success: false, message: this.message, errorCode: this.errorcode, data: '' }
      : { status: false, message: this.message, errorcode: this.errorcode, data: null };
  }
}

/** SmartAPI's documented codes the simulator answers with. */
export const invalidToken = () => new AngelSimError('AG8001', 'Invalid Token', 200, true);
export const invalidApiKey = () => new AngelSimError('AG8004', 'Invalid API Key', 200, true);
export const invalidRefreshToken = () => new AngelSimError('AB8050', 'Invalid Refresh Token');
export const wrongPassword = () => new AngelSimError('AB1000', 'Invalid Email Or Password');
export const invalidTotp = () => new AngelSimError('AB1050', 'Invalid totp');
export const orderNotFound = () => new AngelSimError('AB1013', 'Order not found');
export const symbolNotFound = () => new AngelSimError('AB1009', 'Symbol Not Found');
export const invalidInput = (message: string) => new AngelSimError('AB4008', message);
/** Angel documents no code for a bad header; "AB2000 Error not specified" with words naming it. */
export const badHeader = (name: string) =>
  new AngelSimError('AB2000', `Request rejected: header ${name} is missing or invalid`, 400);
export const somethingWrong = () =>
  new AngelSimError('AB2001', 'Internal Error, Please try after sometime', 500);
/** The gateway's throttle (its words, as a plain-text body). */
export const RATE_LIMIT_TEXT = 'Access denied because of exceeding access rate';

export const success = <T>(data: T) => ({ status: true, message: 'SUCCESS', errorcode: '', data });

/** Angel's trading symbol of an NSE equity. */
export const angelSymbol = (instrument: SimInstrument) => `${instrument.tradingsymbol}-EQ`;
/** Angel's `symboltoken`: the exchange token (INFY 1594, SBIN 3045, as at NSE). */
export const symbolToken = (instrument: SimInstrument) =>
  String(Math.floor(instrument.instrumentToken / 256));

const PRODUCT = { MIS: 'INTRADAY', CNC: 'DELIVERY' } as const;
const IST_OFFSET_MS = 330 * 60_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "26-Nov-2026 09:15:01", IST, as the order book prints times. */
export function angelTime(epochMs: number): string {
  const d = new Date(epochMs + IST_OFFSET_MS);
  const day = String(d.getUTCDate()).padStart(2, '0');
  return `${day}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${d.toISOString().slice(11, 19)}`;
}

/** The order-status WebSocket's `order-status` codes per order book status. */
const STATUS_CODE: Readonly<Record<string, string>> = {
  open: 'AB01',
  cancelled: 'AB02',
  rejected: 'AB03',
  modified: 'AB04',
  complete: 'AB05',
  'open pending': 'AB09',
  'trigger pending': 'AB10',
};

/** An order as `getOrderBook` lists it. */
export function orderJson(order: OrderSnapshot) {
  const status = order.status.toLowerCase();
  const working = status === 'open' || status === 'trigger pending';
  const stop = order.orderType === 'SL' || order.orderType === 'SL-M';
  return {
    variety: stop ? 'STOPLOSS' : 'NORMAL',
    ordertype:
      order.orderType === 'SL'
        ? 'STOPLOSS_LIMIT'
        : order.orderType === 'SL-M'
          ? 'STOPLOSS_MARKET'
          : order.orderType,
    producttype: PRODUCT[order.product],
    duration: order.validity,
    price: rupees(order.pricePaise),
    triggerprice: rupees(order.triggerPaise),
    quantity: String(order.quantity),
    disclosedquantity: '0',
    squareoff: 0,
    stoploss: 0,
    trailingstoploss: 0,
    tradingsymbol: angelSymbol(order.instrument),
    transactiontype: order.transactionType,
    exchange: 'NSE',
    symboltoken: symbolToken(order.instrument),
    ordertag: order.tag ?? '',
    instrumenttype: '',
    strikeprice: -1,
    optiontype: '',
    expirydate: '',
    lotsize: String(order.instrument.lotSize),
    cancelsize: String(order.cancelledQuantity),
    averageprice: rupees(order.averagePaise),
    filledshares: String(order.filledQuantity),
    unfilledshares: String(working ? order.quantity - order.filledQuantity : 0),
    orderid: order.orderId,
    text: order.statusMessage ?? '',
    status,
    orderstatus: status,
    updatetime: angelTime(order.exchangeEpochMs ?? order.orderEpochMs),
    exchtime: order.exchangeEpochMs === null ? '' : angelTime(order.exchangeEpochMs),
    exchorderupdatetime: order.exchangeEpochMs === null ? '' : angelTime(order.exchangeEpochMs),
    fillid: '',
    filltime: '',
    parentorderid: '',
    uniqueorderid: `sim-${order.orderId}`,
  };
}

/** A message of the order-status WebSocket for an order's new state. */
export function orderUpdateJson(order: OrderSnapshot, clientCode: string) {
  const data = orderJson(order);
  return {
    'user-id': clientCode,
    'status-code': '200',
    'order-status': STATUS_CODE[data.status] ?? 'AB01',
    'error-message': '',
    orderData: data,
  };
}

/** The first message of the order-status WebSocket: "AB00", connected. */
export function connectedJson(clientCode: string) {
  return {
    'user-id': clientCode,
    'status-code': '200',
    'order-status': 'AB00',
    'error-message': '',
    orderData: null,
  };
}

/** A fill as `getTradeBook` lists it. */
export function tradeJson(trade: SimTrade) {
  const filled = new Date(trade.fillEpochMs + IST_OFFSET_MS).toISOString().slice(11, 19);
  return {
    exchange: 'NSE',
    producttype: PRODUCT[trade.order.product],
    tradingsymbol: angelSymbol(trade.order.instrument),
    instrumenttype: '',
    symbolgroup: 'EQ',
    strikeprice: '-1',
    optiontype: '',
    expirydate: '',
    marketlot: '1',
    precision: '2',
    multiplier: '-1',
    tradevalue: rupees(trade.pricePaise * trade.quantity),
    transactiontype: trade.order.transactionType,
    fillprice: rupees(trade.pricePaise),
    fillsize: String(trade.quantity),
    orderid: trade.order.orderId,
    fillid: trade.tradeId,
    filltime: filled,
  };
}

/** A row of `getPosition` (every number a string, as Angel sends them). */
export function positionJson(p: EnginePosition, lastPaise: number) {
  const value = (side: 'BUY' | 'SELL') =>
    p.trades
      .filter((t) => t.order.transactionType === side)
      .reduce((n, t) => n + t.quantity * t.pricePaise, 0);
  return {
    exchange: 'NSE',
    symboltoken: symbolToken(p.instrument),
    producttype: PRODUCT[p.product],
    tradingsymbol: angelSymbol(p.instrument),
    symbolname: p.instrument.name,
    instrumenttype: '',
    priceden: '1',
    pricenum: '1',
    genden: '1',
    gennum: '1',
    precision: '2',
    multiplier: '-1',
    boardlotsize: '1',
    buyqty: String(p.boughtQuantity),
    sellqty: String(p.soldQuantity),
    buyamount: rupees(value('BUY')).toFixed(2),
    sellamount: rupees(value('SELL')).toFixed(2),
    symbolgroup: 'EQ',
    strikeprice: '-1',
    optiontype: '',
    expirydate: '',
    lotsize: '1',
    cfbuyqty: '0',
    cfsellqty: '0',
    netqty: String(p.netQuantity),
    ltp: rupees(lastPaise).toFixed(2),
  };
}
