import * as z from 'zod';
import { VenueError, type VenueOrder } from '../tagged-venue';
import { type FinalStatusWords, parseVenue, venueOrderStatus } from '../venue-wire';

/**
 * Kite Connect v3 payloads as the official SDK hands them over (it unwraps `{status, data}` and
 * turns 19-character timestamps into Dates). Every message is parsed here before use; a payload
 * that does not match names the field and the value it got.
 */

const timestamp = z.union([z.date(), z.string(), z.null()]).optional();
const number = z.number().finite();

/** One order as /orders, /orders/:id and the ticker's order update carry it. */
export const KiteOrderSchema = z
  .object({
    order_id: z.string().min(1),
    status: z.string().min(1),
    tradingsymbol: z.string().min(1),
    exchange: z.string().min(1),
    transaction_type: z.enum(['BUY', 'SELL']),
    order_type: z.string(),
    product: z.string(),
    quantity: z.number().int().nonnegative(),
    filled_quantity: z.number().int().nonnegative(),
    average_price: number.optional(),
    status_message: z.string().nullish(),
    tag: z.string().nullish(),
    order_timestamp: timestamp,
  })
  .passthrough();
export type KiteOrder = z.output<typeof KiteOrderSchema>;

/** One execution from /orders/:id/trades. Older payloads call the quantity `filled`. */
export const KiteTradeSchema = z
  .object({
    trade_id: z.string().min(1),
    order_id: z.string().min(1),
    average_price: z.number().positive(),
    quantity: z.number().int().positive().optional(),
    filled: z.number().int().positive().optional(),
    fill_timestamp: timestamp,
  })
  .passthrough()
  .refine((t) => (t.quantity ?? t.filled) !== undefined, 'a trade needs quantity (or filled)')
  .transform((t) => ({ ...t, quantity: (t.quantity ?? t.filled) as number }));
export type KiteTrade = z.output<typeof KiteTradeSchema>;

export const KitePositionSchema = z
  .object({
    tradingsymbol: z.string().min(1),
    exchange: z.string().min(1),
    product: z.string(),
    quantity: z.number().int(),
  })
  .passthrough();

export const KitePositionsSchema = z.object({
  net: z.array(KitePositionSchema),
  day: z.array(KitePositionSchema).optional(),
});

/** A row of the instruments CSV; the SDK leaves `instrument_token` a string. */
export const KiteInstrumentSchema = z
  .object({
    instrument_token: z.coerce.number().int().positive(),
    tradingsymbol: z.string().min(1),
    exchange: z.string().min(1),
    tick_size: z.number().positive(),
    lot_size: z.number().int().positive(),
  })
  .passthrough();
export type KiteInstrument = z.output<typeof KiteInstrumentSchema>;

export const KiteQuoteCircuitSchema = z.record(
  z.string(),
  z
    .object({
      lower_circuit_limit: z.number().nonnegative(),
      upper_circuit_limit: z.number().positive(),
    })
    .passthrough(),
);

/** `GET /user/margins/equity`: `net` is what new orders may still block. */
export const KiteEquityMarginsSchema = z.object({ net: number }).passthrough();

export const KitePlaceResponseSchema = z.object({ order_id: z.string().min(1) }).passthrough();

/** What the SDK rejects with: Kite's own envelope, or the SDK's NetworkException for no answer. */
export const KiteErrorSchema = z
  .object({ error_type: z.string().min(1), message: z.string() })
  .passthrough();

/** Kite's `error_type`s that say nothing about the request itself: a read may be repeated. */
const TRANSIENT = new Set(['NetworkException', 'GeneralException', 'DataException']);

/**
 * Turns whatever the SDK rejected with into a VenueError with Kite's `error_type` and message: a
 * TokenException refuses the token, a 429 (NetworkException), Kite's own failure or no answer is
 * transient (a placement may or may not have happened), anything else is Kite refusing the call.
 */
export function kiteError(raw: unknown): VenueError {
  const parsed = KiteErrorSchema.safeParse(raw);
  if (parsed.success) {
    const { error_type: type, message } = parsed.data;
    const kind =
      type === 'TokenException' ? 'token' : TRANSIENT.has(type) ? 'transient' : 'refused';
    return new VenueError('kite', kind, type, message);
  }
  const message =
    raw instanceof Error ? raw.message : `unexpected Kite error: ${JSON.stringify(raw)}`;
  return new VenueError('kite', 'transient', 'NetworkException', message);
}

/** Kite's words for the final order statuses. */
const KITE_FINAL: FinalStatusWords = {
  filled: 'COMPLETE',
  cancelled: 'CANCELLED',
  rejected: 'REJECTED',
};

/** A Kite order (book row or ticker update) in broker-neutral terms. */
export function orderFromKite(o: KiteOrder): VenueOrder {
  return {
    orderId: o.order_id,
    tag: o.tag,
    symbol: o.tradingsymbol,
    side: o.transaction_type,
    quantity: o.quantity,
    filledQuantity: o.filled_quantity,
    status: venueOrderStatus(o.status, KITE_FINAL),
    venueStatus: o.status,
    statusMessage: o.status_message,
    exchange: o.exchange,
  };
}

/** Parses what Kite sent with `schema`; a mismatch names what it was and the offending values. */
export const parseKite = <S extends z.ZodType>(schema: S, value: unknown, what: string) =>
  parseVenue('Kite', schema, value, what);

/** Epoch ms of a Kite timestamp (a Date from the SDK, or "YYYY-MM-DD HH:MM:SS" in IST). */
export function kiteTime(value: Date | string | null | undefined, fallback: number): number {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? fallback : value.getTime();
  if (typeof value === 'string') {
    const ms = Date.parse(`${value.replace(' ', 'T')}+05:30`);
    return Number.isNaN(ms) ? fallback : ms;
  }
  return fallback;
}
