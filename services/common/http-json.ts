import type { FastifyBodyParser } from 'fastify';

/** The part of a Fastify instance that parses bodies, whatever its logger and server types. */
interface BodyParsers {
  removeContentTypeParser(contentType: string): unknown;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'string' },
    parser: FastifyBodyParser<string>,
  ): unknown;
}

/** A JSON body refused before any route sees it: a 400 whose message names the real problem. */
export class JsonBodyError extends Error {
  override readonly name = 'JsonBodyError';
  readonly statusCode = 400;
}

/**
 * Keys that would reach an object's prototype once the body is spread or merged somewhere
 * (`__proto__`, or `constructor` holding `prototype`), as secure-json-parse refuses them.
 */
function forbiddenKey(key: string, value: unknown): boolean {
  return (
    key === '__proto__' ||
    (key === 'constructor' &&
      value !== null &&
      typeof value === 'object' &&
      Object.hasOwn(value, 'prototype'))
  );
}

/**
 * Number literals of the text that JSON.parse turns into Infinity (`1e400`), in document order.
 * Strings are matched first so that digits inside them are not taken for numbers.
 */
function overflowingLiterals(text: string): string[] {
  const tokens = text.matchAll(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g);
  return [...tokens]
    .map((m) => m[0])
    .filter((t) => !t.startsWith('"') && !Number.isFinite(Number(t)));
}

/** Paths (`body.legs.0.price`) of every non-finite number and every forbidden key. */
function inspect(
  value: unknown,
  path: string,
  found: { infinite: string[]; forbidden: string[] },
): void {
  if (typeof value === 'number' && !Number.isFinite(value)) found.infinite.push(path);
  if (value === null || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (forbiddenKey(key, child)) found.forbidden.push(`${key} (at ${path})`);
    inspect(child, `${path}.${key}`, found);
  }
}

/**
 * Parses a request body as JSON, or throws a {@link JsonBodyError} that says what is wrong with
 * it: not JSON at all (with the parser's reason), a forbidden key, or a number too large for a
 * 64-bit float (which JSON.parse would silently turn into Infinity, and a schema would then
 * report as `null`).
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '')
    throw new JsonBodyError('body is empty but the content-type is application/json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new JsonBodyError(`body is not valid JSON: ${(error as Error).message}`);
  }
  const found = { infinite: [] as string[], forbidden: [] as string[] };
  inspect(parsed, 'body', found);
  if (found.forbidden.length)
    throw new JsonBodyError(`body has a forbidden key ${found.forbidden.join(', ')}`);
  const [only, ...more] = found.infinite;
  if (only !== undefined) {
    const literals = overflowingLiterals(text);
    // With one such number its literal is known for sure; with several, objects may list
    // integer-like keys in another order than the text, so only the paths are named.
    throw new JsonBodyError(
      more.length === 0 && literals.length === 1
        ? `${only}: ${literals[0]} is not a finite number`
        : `${found.infinite.join(', ')}: not finite numbers (${literals.join(', ')})`,
    );
  }
  return parsed;
}

/**
 * Replaces Fastify's JSON body parser with {@link parseJsonBody}: the same limits, messages that
 * name the problem instead of "Body is not valid JSON".
 */
export function useStrictJsonBodies(app: BodyParsers): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body));
    } catch (error) {
      done(error as JsonBodyError, undefined);
    }
  });
}

const ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'HEADERS_TOO_LARGE',
};

/** The `error` code of a JSON error answer for an HTTP status: specific, never a bare `ERROR`. */
export function httpErrorCode(status: number): string {
  return ERROR_CODES[status] ?? (status >= 500 ? 'INTERNAL' : `HTTP_${status}`);
}
