import * as z from 'zod';
import { inputError, type KiteApiError } from './wire';

/**
 * The form fields of the order endpoints as the SDK sends them (qs-encoded strings), parsed with
 * zod. A refusal is Kite's InputException naming the parameter in backquotes, plus the value we
 * got, so a test or an operator sees what was wrong without a packet capture.
 */

const decimal = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/)
  .transform(Number);
const wholeNumber = z.string().regex(/^\d+$/).transform(Number);

/** Kite's limit on `tag` (the strategy's algo ID at our desk). */
export const MAX_TAG_LENGTH = 20;

const placeFields = z.object({
  variety: z.enum(['regular']),
  exchange: z.enum(['NSE']),
  tradingsymbol: z.string().min(1),
  transaction_type: z.enum(['BUY', 'SELL']),
  quantity: wholeNumber,
  product: z.enum(['MIS', 'CNC']),
  order_type: z.enum(['MARKET', 'LIMIT', 'SL', 'SL-M']),
  price: decimal.optional(),
  trigger_price: decimal.optional(),
  validity: z.enum(['DAY', 'IOC']).default('DAY'),
  disclosed_quantity: wholeNumber.optional(),
  tag: z.string().optional(),
  market_protection: decimal.optional(),
});

/** A validated `POST /orders/regular` body. */
export type PlaceOrderFields = z.output<typeof placeFields>;

const modifyFields = z.object({
  quantity: wholeNumber.optional(),
  price: decimal.optional(),
  trigger_price: decimal.optional(),
  order_type: z.enum(['MARKET', 'LIMIT', 'SL', 'SL-M']).optional(),
  validity: z.enum(['DAY', 'IOC']).optional(),
  disclosed_quantity: wholeNumber.optional(),
});

/** A validated `PUT /orders/regular/:order_id` body. */
export type ModifyOrderFields = z.output<typeof modifyFields>;

/** Form values arrive as strings; an empty one is the SDK passing `undefined` through qs. */
function withoutEmpty(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null) return {};
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== ''));
}

function refusal(error: z.ZodError, body: Record<string, unknown>): KiteApiError {
  const issue = error.issues[0];
  const field = String(issue?.path[0] ?? 'request');
  if (issue?.code === 'invalid_type' && body[field] === undefined) {
    return inputError(`Missing \`${field}\`.`);
  }
  return inputError(`Invalid \`${field}\`: ${JSON.stringify(body[field])}.`);
}

/** Parses a placement, refusing what Kite refuses before any RMS check (tag over 20 chars). */
export function parsePlaceOrder(variety: string, body: unknown): PlaceOrderFields {
  const fields = { ...withoutEmpty(body), variety };
  const parsed = placeFields.safeParse(fields);
  if (!parsed.success) throw refusal(parsed.error, fields);
  const { tag } = parsed.data;
  if (tag !== undefined && tag.length > MAX_TAG_LENGTH) {
    throw inputError(
      `Invalid \`tag\`: ${JSON.stringify(tag)} is ${tag.length} characters; the limit is ${MAX_TAG_LENGTH}.`,
    );
  }
  return parsed.data;
}

/** Parses a modification body. */
export function parseModifyOrder(body: unknown): ModifyOrderFields {
  const fields = withoutEmpty(body);
  const parsed = modifyFields.safeParse(fields);
  if (!parsed.success) throw refusal(parsed.error, fields);
  return parsed.data;
}
