import type { SimInstrument } from '../shared/instruments';
import type { OrderSnapshot, SimTrade } from '../shared/sim-order';
import { istTimestamp, rupees } from '../shared/units';

/**
 * Upstox API v2's wire conventions as the simulator speaks them: `{status:"success", data}` and
 * `{status:"error", errors:[{errorCode, message, propertyPath, invalidValue}]}` (both spellings of
 * the error fields, as Upstox sends them), lower-case order statuses, instrument keys
 * `NSE_EQ|<ISIN>`. The book itself is the shared engine and price walk (../shared).
 */

/** An error the simulator answers with Upstox's envelope. */
export class UpstoxSimError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly errorCode: string,
    message: string,
    readonly propertyPath: string | null = null,
    readonly invalidValue: unknown = null,
  ) {
    super(message);
    this.name = 'UpstoxSimError';
  }

  toEnvelope() {
    const error = {
      errorCode: this.errorCode,
      message: this.message,
      propertyPath: this.propertyPath,
      invalidValue: this.invalidValue,
      error_code: this.errorCode,
      property_path: this.propertyPath,
      invalid_value: this.invalidValue,
    };
    return { status: 'error', errors: [error] };
  }
}

/** Upstox's documented codes the simulator answers with. */
export const invalidToken = () =>
  new UpstoxSimError(401, 'UDAPI100050', 'Invalid token used to access API');
export const invalidCredentials = (message = 'Invalid Credentials') =>
  new UpstoxSimError(401, 'UDAPI100016', message);
export const wrongClientOrRedirect = () =>
  new UpstoxSimError(
    400,
    'UDAPI100068',
    "Check your 'client_id' and 'redirect_uri'; one or both are incorrect.",
  );
export const invalidInput = (
  message: string,
  propertyPath: string | null = null,
  value: unknown = null,
) => new UpstoxSimError(400, 'UDAPI100036', message, propertyPath, value);
export const tooManyRequests = () => new UpstoxSimError(429, 'UDAPI10005', 'Too Many Request Sent');
export const somethingWrong = () =>
  new UpstoxSimError(500, 'UDAPI100500', 'Something went wrong... please contact us');
export const missingApiVersion = () =>
  new UpstoxSimError(400, 'UDAPI100015', 'API Version does not exist');

export const success = <T>(data: T) => ({ status: 'success', data });

/** ISINs of the shared instrument master's equities: the instrument key is `NSE_EQ|<ISIN>`. */
const ISIN: Readonly<Record<string, string>> = {
  INFY: 'INE009A01021',
  RELIANCE: 'INE002A01018',
  TCS: 'INE467B01029',
  HDFCBANK: 'INE040A01034',
  SBIN: 'INE062A01020',
};

/** The instrument key Upstox uses for an instrument (indices: `NSE_INDEX|<name>`). */
export function instrumentKey(instrument: SimInstrument): string {
  if (instrument.segment === 'INDICES') return `NSE_INDEX|${instrument.name}`;
  return `NSE_EQ|${ISIN[instrument.tradingsymbol] ?? `INE${String(instrument.instrumentToken).padStart(9, '0')}`}`;
}

/** `GET /v2/instruments/search` rows. */
export function instrumentJson(instrument: SimInstrument) {
  const index = instrument.segment === 'INDICES';
  return {
    name: instrument.name,
    segment: index ? 'NSE_INDEX' : 'NSE_EQ',
    exchange: 'NSE',
    isin: index ? null : instrumentKey(instrument).slice('NSE_EQ|'.length),
    instrument_key: instrumentKey(instrument),
    exchange_token: String(Math.floor(instrument.instrumentToken / 256)),
    trading_symbol: instrument.tradingsymbol,
    short_name: instrument.name,
    tick_size: instrument.tickPaise / 100,
    lot_size: instrument.lotSize,
    instrument_type: index ? 'INDEX' : 'EQ',
  };
}

const PRODUCT = { MIS: 'I', CNC: 'D' } as const;

/** An order as `/v2/order/retrieve-all` lists it. */
export function orderJson(order: OrderSnapshot, userId: string) {
  const status = order.status.toLowerCase();
  return {
    exchange: 'NSE',
    product: PRODUCT[order.product],
    price: rupees(order.pricePaise),
    quantity: order.quantity,
    status,
    guid: null,
    tag: order.tag ?? null,
    instrument_token: instrumentKey(order.instrument),
    placed_by: userId,
    tradingsymbol: order.instrument.tradingsymbol,
    trading_symbol: order.instrument.tradingsymbol,
    order_type: order.orderType,
    validity: order.validity,
    trigger_price: rupees(order.triggerPaise),
    disclosed_quantity: 0,
    transaction_type: order.transactionType,
    average_price: rupees(order.averagePaise),
    filled_quantity: order.filledQuantity,
    pending_quantity:
      status === 'open' || status === 'trigger pending' ? order.quantity - order.filledQuantity : 0,
    status_message: order.statusMessage,
    status_message_raw: order.statusMessage,
    exchange_order_id: order.exchangeOrderId ?? '',
    parent_order_id: null,
    order_id: order.orderId,
    variety: 'SIMPLE',
    order_timestamp: istTimestamp(order.orderEpochMs),
    exchange_timestamp: order.exchangeEpochMs === null ? null : istTimestamp(order.exchangeEpochMs),
    is_amo: false,
    order_request_id: '1',
    order_ref_id: `sim-${order.orderId}`,
  };
}

/** The portfolio stream's order update. */
export function orderUpdateJson(order: OrderSnapshot, userId: string) {
  return { update_type: 'order', user_id: userId, ...orderJson(order, userId) };
}

/** A fill as `/v2/order/trades` lists it. */
export function tradeJson(trade: SimTrade) {
  return {
    exchange: 'NSE',
    product: PRODUCT[trade.order.product],
    trading_symbol: trade.order.instrument.tradingsymbol,
    tradingsymbol: trade.order.instrument.tradingsymbol,
    instrument_token: instrumentKey(trade.order.instrument),
    order_type: trade.order.orderType,
    transaction_type: trade.order.transactionType,
    quantity: trade.quantity,
    exchange_order_id: trade.order.exchangeOrderId ?? '',
    order_id: trade.order.orderId,
    exchange_timestamp: istTimestamp(trade.fillEpochMs),
    average_price: rupees(trade.pricePaise),
    trade_id: trade.tradeId,
    order_ref_id: `sim-${trade.order.orderId}`,
    order_timestamp: istTimestamp(trade.order.orderEpochMs),
  };
}
