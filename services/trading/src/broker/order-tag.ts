import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * The order tag every live adapter writes: `<prefix><digest of the client order id>`. Kite, Upstox
 * and Angel One each accept 20 characters (Angel One's `ordertag` since November 2024), so one
 * scheme fits all three and a lookup after a restart, knowing only the client order id, finds the
 * order by the digest alone. The prefix becomes the strategy's algo ID.
 */

/** The tag limit shared by the three brokers. */
export const ORDER_TAG_MAX = 20;
/** Characters of the client-order-id digest at the end of every tag. */
const DIGEST_CHARS = 12;
/** What is left of the tag for the strategy's prefix. */
export const ORDER_TAG_PREFIX_MAX = ORDER_TAG_MAX - DIGEST_CHARS;

/** A tag prefix: alphanumeric, short enough to leave room for the digest. */
export const TagPrefixSchema = z
  .string()
  .regex(
    new RegExp(`^[A-Za-z0-9]{1,${ORDER_TAG_PREFIX_MAX}}$`),
    `expected 1-${ORDER_TAG_PREFIX_MAX} letters or digits (a tag is at most ${ORDER_TAG_MAX} characters, ${DIGEST_CHARS} of them the order digest)`,
  );

/** A strategy id's letters and digits, cut to the prefix length ("orb-15" -> "orb15"). */
export function defaultTagPrefix(strategyId: string): string {
  return strategyId.replace(/[^A-Za-z0-9]/g, '').slice(0, ORDER_TAG_PREFIX_MAX) || 'X';
}

/** The 12 hex characters of a client order id's SHA-256: the order's identity inside its tag. */
export function orderDigest(clientOrderId: string): string {
  return createHash('sha256').update(clientOrderId).digest('hex').slice(0, DIGEST_CHARS);
}

/** `prefix + digest`: the one place a tag is built. */
export function orderTag(prefix: string, clientOrderId: string): string {
  const tag = `${prefix}${orderDigest(clientOrderId)}`;
  if (tag.length > ORDER_TAG_MAX || !/^[A-Za-z0-9]+$/.test(tag))
    throw new Error(`order tag "${tag}" is not 1-${ORDER_TAG_MAX} letters or digits`);
  return tag;
}

/** The digest part of a tag of ours, or undefined for a tag we could not have written. */
export function digestOfTag(tag: string | null | undefined): string | undefined {
  if (!tag || tag.length <= DIGEST_CHARS || tag.length > ORDER_TAG_MAX) return undefined;
  const digest = tag.slice(-DIGEST_CHARS);
  return /^[0-9a-f]+$/.test(digest) ? digest : undefined;
}

/** The prefix part of a tag of ours. */
export const prefixOfTag = (tag: string) => tag.slice(0, -DIGEST_CHARS);

/** Per-strategy settings at a broker: intraday or delivery, and the tag prefix. */
export const BrokerStrategySchema = z
  .object({
    /** Upstox `I`/`D`, Angel One `INTRADAY`/`DELIVERY`. @default INTRADAY */
    product: z.enum(['INTRADAY', 'DELIVERY']).default('INTRADAY'),
    /** @default from the strategy id */
    tagPrefix: TagPrefixSchema.optional(),
  })
  .strict();

/** Strategy id -> its broker settings; prefixes must tell strategies apart. */
export const BrokerStrategiesSchema = z
  .record(z.string(), BrokerStrategySchema)
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
export type BrokerStrategies = z.output<typeof BrokerStrategiesSchema>;
