import * as z from 'zod';
import type { BrokerOrderStatus } from '../broker';
import { VenueError, type VenueErrorKind, type VenueOrder } from '../tagged-venue';
import { LOWER_CASE_FINAL, parseVenue, venueOrderStatus } from '../venue-wire';

/**
 * Upstox API v2 payloads as `upstox-js-sdk` hands them over (its models turn snake_case into
 * camelCase), and the portfolio stream's order updates (raw JSON, snake_case). Every message is
 * parsed here before use; a mismatch names the field and the value it got.
 */

const side = z.enum(['BUY', 'SELL']);

/** One order of `GET /v2/order/retrieve-all` (the SDK's OrderBookData). */
export const UpstoxOrderSchema = z
  .object({
    orderId: z.string().min(1),
    status: z.string().min(1),
    exchange: z.string().min(1),
    tradingSymbol: z.string().min(1),
    transactionType: side,
    quantity: z.number().int().nonnegative(),
    filledQuantity: z.number().int().nonnegative(),
    statusMessage: z.string().nullish(),
    tag: z.string().nullish(),
    /** What a modify must restate (Upstox requires them all). */
    orderType: z.enum(['MARKET', 'LIMIT', 'SL', 'SL-M']),
    validity: z.string().min(1),
    price: z.number().nonnegative(),
    triggerPrice: z.number().nonnegative(),
  })
  .passthrough();
export type UpstoxOrder = z.output<typeof UpstoxOrderSchema>;

/** One order update of the portfolio stream (`update_type: "order"`). */
export const UpstoxOrderUpdateSchema = z
  .object({
    update_type: z.literal('order'),
    order_id: z.string().min(1),
    status: z.string().min(1),
    exchange: z.string().min(1),
    trading_symbol: z.string().min(1),
    transaction_type: side,
    quantity: z.number().int().nonnegative(),
    filled_quantity: z.number().int().nonnegative(),
    status_message: z.string().nullish(),
    tag: z.string().nullish(),
  })
  .passthrough();

/** One execution of `GET /v2/order/trades` (the SDK's TradeData). */
export const UpstoxTradeSchema = z
  .object({
    tradeId: z.string().min(1),
    orderId: z.string().min(1),
    quantity: z.number().int().positive(),
    averagePrice: z.number().positive(),
    exchangeTimestamp: z.string().nullish(),
  })
  .passthrough();

/** One row of `GET /v2/portfolio/short-term-positions` (the SDK's PositionData). */
export const UpstoxPositionSchema = z
  .object({
    exchange: z.string().min(1),
    tradingSymbol: z.string().min(1),
    quantity: z.number().int(),
  })
  .passthrough();

/** One match of `GET /v2/instruments/search` (the SDK's InstrumentData). */
export const UpstoxInstrumentSchema = z
  .object({
    instrumentKey: z.string().min(1),
    tradingSymbol: z.string().min(1),
    exchange: z.string().min(1),
    segment: z.string().min(1),
  })
  .passthrough();
export type UpstoxInstrument = z.output<typeof UpstoxInstrumentSchema>;

/** `{status: "success", data}` as the SDK's response models keep it. */
export const upstoxEnvelope = <S extends z.ZodType>(data: S) =>
  z.object({ status: z.literal('success'), data }).passthrough();

export const UpstoxPlaceSchema = upstoxEnvelope(
  z.object({ orderId: z.string().min(1) }).passthrough(),
);
export const UpstoxAuthorizeSchema = upstoxEnvelope(
  z.object({ authorizedRedirectUri: z.string().min(1) }).passthrough(),
);

/** Upstox's error envelope: `{status:"error", errors:[{errorCode|error_code, message}]}`. */
const UpstoxErrorBodySchema = z.object({
  status: z.literal('error'),
  errors: z
    .array(
      z
        .object({
          errorCode: z.string().optional(),
          error_code: z.string().optional(),
          message: z.string(),
        })
        .passthrough(),
    )
    .min(1),
});

/** Upstox's documented code for an invalid, expired or revoked access token (HTTP 401). */
export const UPSTOX_INVALID_TOKEN = 'UDAPI100050';

/** What superagent rejects with: an HTTP error with the response, or a timeout / socket error. */
const SdkErrorSchema = z
  .object({
    status: z.number().int().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
    response: z.object({ body: z.unknown() }).passthrough().optional(),
  })
  .passthrough();

/** Turns what the SDK rejected with into a VenueError in Upstox's own words. */
export function upstoxError(raw: unknown): VenueError {
  if (raw instanceof VenueError) return raw;
  const sdk = SdkErrorSchema.safeParse(raw);
  const status = sdk.success ? sdk.data.status : undefined;
  const body = UpstoxErrorBodySchema.safeParse(sdk.success ? sdk.data.response?.body : undefined);
  if (body.success) {
    const first = body.data.errors[0] as {
      errorCode?: string;
      error_code?: string;
      message: string;
    };
    const code = first.errorCode ?? first.error_code ?? `HTTP ${status ?? '?'}`;
    return new VenueError('upstox', kindOf(code, status), code, first.message);
  }
  if (status !== undefined)
    return new VenueError('upstox', kindOf('', status), `HTTP ${status}`, 'no Upstox error body');
  const code = (sdk.success && sdk.data.code) || 'NO_ANSWER';
  const message = raw instanceof Error ? raw.message : String(raw);
  return new VenueError('upstox', 'transient', code, message);
}

function kindOf(code: string, status: number | undefined): VenueErrorKind {
  if (code === UPSTOX_INVALID_TOKEN || status === 401) return 'token';
  if (status === undefined || status === 429 || status >= 500) return 'transient';
  return 'refused';
}

/** Upstox's order statuses (lower case) reduced to ours: anything not final is still working. */
export const upstoxStatus = (status: string): BrokerOrderStatus =>
  venueOrderStatus(status, LOWER_CASE_FINAL);

export function orderFromBook(o: UpstoxOrder): VenueOrder {
  return {
    orderId: o.orderId,
    tag: o.tag,
    symbol: o.tradingSymbol,
    side: o.transactionType,
    quantity: o.quantity,
    filledQuantity: o.filledQuantity,
    status: upstoxStatus(o.status),
    venueStatus: o.status,
    statusMessage: o.statusMessage,
    exchange: o.exchange,
  };
}

export function orderFromUpdate(u: z.output<typeof UpstoxOrderUpdateSchema>): VenueOrder {
  return {
    orderId: u.order_id,
    tag: u.tag,
    symbol: u.trading_symbol,
    side: u.transaction_type,
    quantity: u.quantity,
    filledQuantity: u.filled_quantity,
    status: upstoxStatus(u.status),
    venueStatus: u.status,
    statusMessage: u.status_message,
    exchange: u.exchange,
  };
}

/** Parses what Upstox sent with `schema`; a mismatch names what it was and the offending values. */
export const parseUpstox = <S extends z.ZodType>(schema: S, value: unknown, what: string) =>
  parseVenue('Upstox', schema, value, what);

/** Epoch ms of an Upstox timestamp ("YYYY-MM-DD HH:MM:SS" in IST). */
export function upstoxTime(value: string | null | undefined, fallback: number): number {
  if (!value) return fallback;
  const ms = Date.parse(`${value.replace(' ', 'T')}+05:30`);
  return Number.isNaN(ms) ? fallback : ms;
}
