import * as z from 'zod';
import { TokenNameSchema } from './broker-tokens';

/**
 * The wire format of a broker's token gate (migration 0011) for a caller that cannot reach the
 * stage's database: `tradeops token` from outside the VPC sends these in an operator event
 * (`token-gate`) to the admin function, which answers from PostgreSQL. The gate's rules stay in
 * the one implementation behind it (services/common/tokens/token-gate.ts).
 */

const by = z.string().min(1).max(200);
const claimId = z.uuid('expected the claim id the gate granted');

/** The longest failure text the gate keeps (the column's CHECK). */
export const GATE_FAILURE_MAX = 2000;

/** One question to the gate; `cooldownMs` between a minute and a day, as a stage's config allows. */
export const TokenGateRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('state') }).strict(),
  z.object({ op: z.literal('claim'), token: TokenNameSchema, by }).strict(),
  z.object({ op: z.literal('succeeded'), claimId }).strict(),
  z
    .object({
      op: z.literal('failed'),
      claimId,
      token: TokenNameSchema,
      by,
      words: z.string().max(GATE_FAILURE_MAX),
      cooldownMs: z
        .number()
        .int()
        .min(60_000)
        .max(24 * 3_600_000),
    })
    .strict(),
]);
export type TokenGateRequest = z.output<typeof TokenGateRequestSchema>;

const epochMs = z.number().int().nonnegative();

const CooldownSchema = z
  .object({
    until: epochMs,
    failedToken: z.string(),
    failure: z.string(),
    failedBy: z.string(),
    failedAt: epochMs,
  })
  .strict();

const GateStateSchema = z
  .object({
    cooldown: CooldownSchema.optional(),
    busy: z.object({ by: z.string(), token: z.string(), until: epochMs }).strict().optional(),
  })
  .strict();

/** The gate's answer to each request, by the request's `op`. */
export const TokenGateAnswerSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('state'), state: GateStateSchema }).strict(),
  z
    .object({
      op: z.literal('claim'),
      claim: z.discriminatedUnion('granted', [
        z.object({ granted: z.literal(true), id: claimId }).strict(),
        z.object({ granted: z.literal(false), state: GateStateSchema }).strict(),
      ]),
    })
    .strict(),
  z.object({ op: z.literal('succeeded') }).strict(),
  z.object({ op: z.literal('failed'), cooldown: CooldownSchema }).strict(),
]);
export type TokenGateAnswer = z.output<typeof TokenGateAnswerSchema>;
