import * as z from 'zod';
import type { BrokerKind } from './brokers';

/*
 * The exchange's algo ID, as SEBI's retail algo framework requires it on every algo order.
 *
 * - SEBI circular SEBI/HO/MIRSD/MIRSD-PoD/P/CIR/2025/0000013 of 4 February 2025 ("Safer
 *   participation of retail investors in algorithmic trading"): every algo order is tagged with a
 *   unique identifier allotted by the exchange, and the exchange can kill one algo ID.
 * - NSE's implementation: NSE/INVG/67858 (5 May 2025, implementation standards) and
 *   NSE/INVG/69255 (22 July 2025, operational modalities), consolidated in NSE/INVG/73992 §8.4
 *   (30 April 2026): a registered algo gets an exchange-issued algo ID; orders of a client's own
 *   algo below the threshold (10 orders a second per exchange segment) carry the generic algo ID
 *   99999 (§8.4.7).
 * - NSE/MSD/37635 (26 April 2018): the exchange allots one algo ID per approved algorithm.
 *
 * The exchange's IDs are numbers (the generic one is 99999): decimal digits, no leading zero, so
 * that one ID has one spelling. The circulars set no length; 18 digits is what a signed 64-bit
 * field holds. The tighter bound is the broker's order tag (`algoIdTagProblem`): the algo ID
 * starts every tag of the strategy's orders, ahead of the client-order-id digest that finds an
 * order whose placement timed out.
 *
 * Our per-algo halt and the tag prefix need one ID per strategy, so two strategies of a stage may
 * not share one: a desk with two strategies below the threshold runs one of them on 99999 and
 * registers the other (or runs them as one strategy).
 */

/** The exchange's generic algo ID for a client's own algo below the order-rate threshold. */
export const GENERIC_ALGO_ID = '99999';

/** Digits a signed 64-bit number holds (the circulars give no length). */
const ALGO_ID_MAX_DIGITS = 18;

/** An exchange algo ID: 1-18 decimal digits, no leading zero (also the HTTP schemas' pattern). */
export const ALGO_ID_PATTERN = `^[1-9][0-9]{0,${ALGO_ID_MAX_DIGITS - 1}}$`;

export const AlgoIdSchema = z
  .string()
  .regex(
    new RegExp(ALGO_ID_PATTERN),
    `expected the exchange's algo ID: 1-${ALGO_ID_MAX_DIGITS} digits without a leading zero (the generic one is ${GENERIC_ALGO_ID})`,
  );
export type AlgoId = z.output<typeof AlgoIdSchema>;

/** A broker's order tag: its length, and the characters of it our order digest takes. */
export interface BrokerTagBudget {
  /** The broker's own limit on the tag. */
  readonly tagMax: number;
  /** Characters at the end of every tag reserved for the client-order-id digest. */
  readonly digestChars: number;
}

/**
 * Each broker's tag. Kite's `tag`, Upstox's `tag` and Angel One's `ordertag` (since November 2024)
 * are at most 20 characters, 12 of them our digest (services/trading/src/broker/order-tag.ts). The
 * paper venue keeps the same, so that a strategies file that runs on paper runs live unchanged.
 */
export const BROKER_TAG_BUDGETS = {
  paper: { tagMax: 20, digestChars: 12 },
  kite: { tagMax: 20, digestChars: 12 },
  upstox: { tagMax: 20, digestChars: 12 },
  angelone: { tagMax: 20, digestChars: 12 },
} as const satisfies Record<BrokerKind, BrokerTagBudget>;

/**
 * Why `algoId` cannot be the tag prefix at a broker with this tag, or undefined when it can. The
 * adapters call it before they build a tag; the strategy config calls it at load.
 */
export function algoIdTagProblem(
  algoId: string,
  budget: BrokerTagBudget,
  broker = 'the broker',
): string | undefined {
  const room = budget.tagMax - budget.digestChars;
  if (algoId.length > room)
    return `algo ID "${algoId}" is ${algoId.length} characters: ${broker}'s tag is at most ${budget.tagMax}, ${budget.digestChars} of them the order digest, which leaves ${room}`;
  if (!/^[A-Za-z0-9]+$/.test(algoId))
    return `algo ID "${algoId}" has characters ${broker} refuses in a tag (letters and digits only)`;
  return undefined;
}
