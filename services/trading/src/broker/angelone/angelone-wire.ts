import * as z from 'zod';
import { angelOutcome } from '../../../../common/angelone/smartapi';
import type { BrokerOrderStatus } from '../broker';
import { VenueError, type VenueOrder } from '../tagged-venue';
import { LOWER_CASE_FINAL, parseVenue, venueOrderStatus } from '../venue-wire';

/**
 * SmartAPI payloads as `smartapi-javascript` hands them over (the JSON as Angel sent it), and the
 * order-status WebSocket's messages. Angel sends many numbers as strings ("10"), so counts and
 * prices are coerced; every message is parsed here before use, a mismatch naming the field and
 * the value it got.
 */

const count = z.coerce.number().int().nonnegative();
const side = z.enum(['BUY', 'SELL']);

/** One order of `getOrderBook`, with what a modify must send back. */
export const AngelOrderSchema = z
  .object({
    orderid: z.string().min(1),
    status: z.string().min(1),
    exchange: z.string().min(1),
    tradingsymbol: z.string().min(1),
    symboltoken: z.string().min(1),
    transactiontype: side,
    variety: z.string().min(1),
    ordertype: z.string().min(1),
    producttype: z.string().min(1),
    duration: z.string().min(1),
    price: z.coerce.number().nonnegative(),
    triggerprice: z.coerce.number().nonnegative().default(0),
    quantity: count,
    filledshares: count,
    text: z.string().nullish(),
    ordertag: z.string().nullish(),
  })
  .passthrough();
export type AngelOrder = z.output<typeof AngelOrderSchema>;

/** A message of the order-status WebSocket; `orderData` is the order as the book lists it. */
export const AngelOrderUpdateSchema = z
  .object({
    'order-status': z.string().regex(/^AB\d\d$/),
    orderData: AngelOrderSchema,
  })
  .passthrough();

/** One fill of `getTradeBook`. */
export const AngelTradeSchema = z
  .object({
    orderid: z.string().min(1),
    fillid: z.string().min(1),
    fillsize: z.coerce.number().int().positive(),
    fillprice: z.coerce.number().positive(),
    /** "HH:MM:SS", IST, of the trading day. */
    filltime: z.string().nullish(),
  })
  .passthrough();

/** One row of `getPosition`. */
export const AngelPositionSchema = z
  .object({
    exchange: z.string().min(1),
    tradingsymbol: z.string().min(1),
    netqty: z.coerce.number().int(),
  })
  .passthrough();

/** One match of `searchScrip` (the SDK returns the rows themselves on success). */
export const AngelScripSchema = z
  .object({
    exchange: z.string().min(1),
    tradingsymbol: z.string().min(1),
    symboltoken: z.string().min(1),
  })
  .passthrough();
export type AngelScrip = z.output<typeof AngelScripSchema>;

export const AngelPlaceSchema = z.object({ orderid: z.string().min(1) }).passthrough();

/** A book, trade book or position list: Angel answers an empty one with `data: null`. */
export const angelList = <S extends z.ZodType>(row: S) =>
  z
    .array(row)
    .nullable()
    .transform((rows) => rows ?? []);

/** Our symbol of an Angel NSE equity ("INFY-EQ" -> "INFY"); other series stay as they are. */
export const ourSymbol = (tradingsymbol: string) => tradingsymbol.replace(/-EQ$/, '');

/**
 * The `data` of what an SDK call resolved with, parsed with `schema`; Angel's refusals, and an
 * answer that is not its envelope, as VenueErrors in its words.
 */
export function angelData<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const outcome = angelOutcome(raw);
  if (!outcome.ok) throw new VenueError('angelone', outcome.kind, outcome.code, outcome.message);
  return parseAngel(schema, outcome.data, what);
}

/** Parses what Angel sent with `schema`; a mismatch names what it was and the offending values. */
export const parseAngel = <S extends z.ZodType>(schema: S, value: unknown, what: string) =>
  parseVenue('Angel One', schema, value, what);

/** Angel's order statuses (in any case) reduced to ours: anything not final is still working. */
export const angelStatus = (status: string): BrokerOrderStatus =>
  venueOrderStatus(status.toLowerCase(), LOWER_CASE_FINAL);

export function orderFromAngel(o: AngelOrder): VenueOrder {
  return {
    orderId: o.orderid,
    tag: o.ordertag || undefined,
    symbol: ourSymbol(o.tradingsymbol),
    side: o.transactiontype,
    quantity: o.quantity,
    filledQuantity: o.filledshares,
    status: angelStatus(o.status),
    venueStatus: o.status,
    statusMessage: o.text,
    exchange: o.exchange,
  };
}
