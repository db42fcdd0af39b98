import { createHash } from 'node:crypto';
import * as z from 'zod';
import { algoIdTagProblem, BROKER_TAG_BUDGETS } from '../../../../contract/algo-id';
import type { Order } from '../domain';
import { BrokerRejectedError } from './broker';

/**
 * The order tag every live adapter writes: `<algo ID><digest of the client order id>`. Kite,
 * Upstox and Angel One each accept 20 characters (Angel One's `ordertag` since November 2024), so
 * one scheme fits all three: the exchange's algo ID of the order's strategy leads the tag (SEBI's
 * algo framework), and a lookup after a restart, knowing only the client order id, finds the order
 * by the digest alone.
 */

/** The tag limit shared by the three brokers. */
export const ORDER_TAG_MAX = 20;
/** Characters of the client-order-id digest at the end of every tag. */
const DIGEST_CHARS = 12;

/** The 12 hex characters of a client order id's SHA-256: the order's identity inside its tag. */
export function orderDigest(clientOrderId: string): string {
  return createHash('sha256').update(clientOrderId).digest('hex').slice(0, DIGEST_CHARS);
}

/** `algo ID + digest`: the one place a tag is built. */
export function orderTag(algoId: string, clientOrderId: string): string {
  const tag = `${algoId}${orderDigest(clientOrderId)}`;
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

/** The algo ID part of a tag of ours. */
export const algoIdOfTag = (tag: string) => tag.slice(0, -DIGEST_CHARS);

/** Per-strategy settings at a broker: intraday or delivery. */
export const BrokerStrategySchema = z
  .object({
    /** Kite `MIS`/`CNC`, Upstox `I`/`D`, Angel One `INTRADAY`/`DELIVERY`. @default INTRADAY */
    product: z.enum(['INTRADAY', 'DELIVERY']).default('INTRADAY'),
  })
  .strict();

/** Strategy id -> its broker settings. */
export const BrokerStrategiesSchema = z.record(z.string(), BrokerStrategySchema);
export type BrokerStrategies = z.output<typeof BrokerStrategiesSchema>;

/**
 * Which strategy a tag's algo ID belongs to: the configured strategies' (and the manual orders')
 * at start, and every order's as it is sent (a strategy reload may bring a new one). A tag under
 * an algo ID none of them has is reported as `<broker>-algo:<id>`, never dropped.
 */
export class AlgoTags {
  private readonly strategyOfAlgo: Map<string, string>;

  constructor(
    private readonly broker: keyof typeof BROKER_TAG_BUDGETS,
    /** Algo ID -> strategy id. */
    algoStrategies: ReadonlyMap<string, string>,
  ) {
    this.strategyOfAlgo = new Map(algoStrategies);
  }

  /** The tag of an order; an order without a valid algo ID is refused before it is sent. */
  tagOf(order: Order): string {
    const { algoId } = order;
    if (algoId === undefined)
      throw new BrokerRejectedError(
        `not sent: ${order.clientOrderId} (strategy ${order.strategyId}) has no algo ID, and every API order carries one`,
      );
    const problem = algoIdTagProblem(algoId, BROKER_TAG_BUDGETS[this.broker], this.broker);
    if (problem) throw new BrokerRejectedError(`not sent: ${problem}`);
    this.strategyOfAlgo.set(algoId, order.strategyId);
    return orderTag(algoId, order.clientOrderId);
  }

  strategyOf(tag: string): string {
    const algoId = algoIdOfTag(tag);
    return this.strategyOfAlgo.get(algoId) ?? `${this.broker}-algo:${algoId}`;
  }
}
