import { createHash } from 'node:crypto';
import * as z from 'zod';

/** Kite's limit on an order's `tag`. */
export const KITE_TAG_MAX = 20;
/** Characters of the client-order-id digest at the end of every tag. */
const DIGEST_CHARS = 12;
/** What is left of the tag for the strategy's prefix. */
export const KITE_TAG_PREFIX_MAX = KITE_TAG_MAX - DIGEST_CHARS;

const product = z.enum(['MIS', 'CNC', 'NRML']);

/** Per-strategy settings at Kite; the prefix starts every tag of the strategy's orders. */
export const KiteStrategySchema = z
  .object({
    /** @default MIS (intraday) */
    product: product.default('MIS'),
    /** Alphanumeric, at most 8 characters (Kite's 20 less the order digest). @default from the id */
    tagPrefix: z
      .string()
      .regex(
        new RegExp(`^[A-Za-z0-9]{1,${KITE_TAG_PREFIX_MAX}}$`),
        `expected 1-${KITE_TAG_PREFIX_MAX} letters or digits (Kite's tag is at most ${KITE_TAG_MAX} characters, ${DIGEST_CHARS} of them the order digest)`,
      )
      .optional(),
  })
  .strict();

/** Strategy id -> its Kite settings; prefixes must tell strategies apart. */
export const KiteStrategiesSchema = z
  .record(z.string(), KiteStrategySchema)
  .superRefine((strategies, ctx) => {
    const seen = new Map<string, string>();
    for (const [id, s] of Object.entries(strategies)) {
      const prefix = s.tagPrefix ?? defaultTagPrefix(id);
      const other = seen.get(prefix);
      if (other !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [id, 'tagPrefix'],
          message: `tag prefix "${prefix}" is already ${other}'s`,
        });
      seen.set(prefix, id);
    }
  });
export type KiteStrategies = z.output<typeof KiteStrategiesSchema>;

/** A strategy id's letters and digits, cut to the prefix length ("orb-15" -> "orb15"). */
export function defaultTagPrefix(strategyId: string): string {
  return strategyId.replace(/[^A-Za-z0-9]/g, '').slice(0, KITE_TAG_PREFIX_MAX) || 'X';
}

/** The 12 hex characters of a client order id's SHA-256: the order's identity inside its tag. */
export function orderDigest(clientOrderId: string): string {
  return createHash('sha256').update(clientOrderId).digest('hex').slice(0, DIGEST_CHARS);
}

/**
 * `prefix + digest`: at most 20 characters, deterministic, so a lookup after a restart (which
 * knows only the client order id) finds the order by the digest alone.
 */
export function kiteTag(prefix: string, clientOrderId: string): string {
  const tag = `${prefix}${orderDigest(clientOrderId)}`;
  if (tag.length > KITE_TAG_MAX || !/^[A-Za-z0-9]+$/.test(tag))
    throw new Error(`Kite tag "${tag}" is not 1-${KITE_TAG_MAX} letters or digits`);
  return tag;
}

/** The digest part of a tag of ours, or undefined for a tag we could not have written. */
export function digestOfTag(tag: string | null | undefined): string | undefined {
  if (!tag || tag.length <= DIGEST_CHARS || tag.length > KITE_TAG_MAX) return undefined;
  const digest = tag.slice(-DIGEST_CHARS);
  return /^[0-9a-f]+$/.test(digest) ? digest : undefined;
}

/** The prefix part of a tag of ours. */
export const prefixOfTag = (tag: string) => tag.slice(0, -DIGEST_CHARS);
