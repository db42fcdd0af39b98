import * as z from 'zod';

/** An environment variable `true` / `false` as a boolean. */
export const booleanText = z.enum(['true', 'false']).transform((v) => v === 'true');

/** An environment variable holding JSON, parsed and then checked against `schema`. */
export const jsonText = <S extends z.ZodType>(schema: S) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** Thrown when an event, request, argument or config value fails its schema. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly issues: readonly string[],
  ) {
    super(message);
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON has no Infinity or NaN: stringify would say "null", which is not what was sent.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * One line per issue, each naming the field and the value it received, so that the person who
 * typed it can see what to change without reading the schema.
 */
export function describeIssues(error: z.ZodError, input: unknown): string[] {
  return error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') {
      return `${field}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    const received = describeValue(valueAt(input, issue.path));
    return `${field}: ${issue.message} (got ${received})`;
  });
}

/**
 * Parses `input` with `schema` or throws a {@link ValidationError} whose message names `what`,
 * every bad field and its value.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = describeIssues(result.error, input);
  throw new ValidationError(`Invalid ${what}: ${issues.join('; ')}`, issues);
}
