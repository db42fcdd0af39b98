import type {
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Logger } from 'pino';

/** The Fastify instance the route groups register on (its logger is the service's pino). */
export type TradingApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  Logger
>;

/** A 400 that names the field: `body.quantity: must be >= 1 (got -5)`. */
export class BadRequest extends Error {
  readonly statusCode = 400;
}

/** A 403: a rule refused the action (the two-person rule), whatever its input. */
export class Forbidden extends Error {
  readonly statusCode = 403;
}

export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  data?: unknown;
}

/** Turns AJV errors into one message naming every bad field and value. */
export function describeSchemaErrors(errors: AjvError[], dataVar: string): string {
  return errors
    .map((e) => {
      const field = `${dataVar}${e.instancePath.replaceAll('/', '.')}`;
      if (e.keyword === 'additionalProperties')
        return `${field}: unknown field "${String(e.params.additionalProperty)}"`;
      if (e.keyword === 'required')
        return `${field}: missing required field "${String(e.params.missingProperty)}"`;
      const got = e.data === undefined ? '' : ` (got ${JSON.stringify(e.data)})`;
      return `${field}: ${e.message ?? e.keyword}${got}`;
    })
    .join('; ');
}

export const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

// Query values arrive as text and are validated as text (no type coercion anywhere).
export const query = (properties: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  properties,
});
