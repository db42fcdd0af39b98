import * as z from 'zod';
import {
  AlgoIdSchema,
  algoIdTagProblem,
  BROKER_TAG_BUDGETS,
  GENERIC_ALGO_ID,
} from '../../../../contract/algo-id';
import type { BrokerKind } from '../../../../contract/brokers';

const id = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,39}$/, 'expected a lower-case id such as orb-15')
  .refine((v) => v !== 'manual', '"manual" is reserved for operator orders');
const symbols = z.array(z.string().min(1)).min(1);
/** Share of the per-trade risk budget a signal may use. */
const riskFraction = z.number().positive().max(1).default(0.5);
/**
 * The exchange's algo ID of the strategy (contract/algo-id.ts): on every order row, the prefix
 * of every broker tag, the unit of the per-algo halt. Required in a LIVE stage.
 */
const algoId = z.string().optional();

/** The algo ID's format, with the strategy named (the file's index alone names nothing). */
function checkAlgoId(config: { id: string; algoId?: string }, ctx: z.RefinementCtx): void {
  if (config.algoId === undefined) return;
  const parsed = AlgoIdSchema.safeParse(config.algoId);
  if (!parsed.success)
    ctx.addIssue({
      code: 'custom',
      path: ['algoId'],
      message: `strategy ${config.id}: ${parsed.error.issues[0]?.message ?? 'not an algo ID'}`,
    });
}

export const OpeningRangeBreakoutConfigSchema = z
  .object({
    id,
    algoId,
    kind: z.literal('OPENING_RANGE_BREAKOUT'),
    enabled: z.boolean().default(true),
    symbols,
    /** Length of the opening range from 09:15 IST. @default 15 */
    rangeMinutes: z.number().int().min(5).max(60).default(15),
    riskFraction,
  })
  .strict()
  .superRefine(checkAlgoId);

export const MovingAverageCrossoverConfigSchema = z
  .object({
    id,
    algoId,
    kind: z.literal('MA_CROSSOVER'),
    enabled: z.boolean().default(true),
    symbols,
    fast: z.number().int().min(2).max(50).default(5),
    slow: z.number().int().min(3).max(200).default(20),
    /** Protective stop distance from the entry, percent. @default 1 */
    stopPct: z.number().positive().max(10).default(1),
    riskFraction,
  })
  .strict()
  .refine((c) => c.fast < c.slow, { message: 'fast must be shorter than slow', path: ['fast'] })
  .superRefine(checkAlgoId);

export const StrategyConfigSchema = z.discriminatedUnion('kind', [
  OpeningRangeBreakoutConfigSchema,
  MovingAverageCrossoverConfigSchema,
]);
export type StrategyConfig = z.output<typeof StrategyConfigSchema>;

export const StrategiesFileSchema = z
  .array(StrategyConfigSchema)
  .refine(
    (list) => new Set(list.map((s) => s.id)).size === list.length,
    'strategy ids must be unique',
  )
  .superRefine((list, ctx) => {
    // One algo ID per strategy: the exchange's kill, our halt and the tag prefix are per ID.
    const owner = new Map<string, string>();
    list.forEach((s, i) => {
      if (s.algoId === undefined) return;
      const other = owner.get(s.algoId);
      if (other !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'algoId'],
          message: `strategy ${s.id}: algo ID "${s.algoId}" is already strategy ${other}'s (each strategy needs its own)`,
        });
      else owner.set(s.algoId, s.id);
    });
  });

/** What the stage trades through: the algo IDs must fit its broker, and LIVE needs them. */
export interface AlgoIdRules {
  readonly mode: 'PAPER' | 'LIVE';
  readonly broker: BrokerKind;
  /**
   * The algo ID of the operator's manual orders (`MANUAL_ALGO_ID`): no strategy may have it, as a
   * tag's algo ID is how a broker's order is told apart by strategy.
   */
  readonly manualAlgoId: string;
}

/**
 * Every strategy whose algo ID the stage refuses, one line each naming the strategy: missing in
 * LIVE (every order of a live algo carries its exchange ID), or too long for the broker's tag.
 */
export function algoIdProblems(configs: readonly StrategyConfig[], rules: AlgoIdRules): string[] {
  const budget = BROKER_TAG_BUDGETS[rules.broker];
  return configs.flatMap((c) => {
    if (c.algoId === rules.manualAlgoId)
      return [
        `strategy ${c.id}: algo ID "${c.algoId}" is the manual orders' (MANUAL_ALGO_ID); each strategy needs its own`,
      ];
    if (c.algoId === undefined)
      return rules.mode === 'LIVE'
        ? [
            `strategy ${c.id}: no algoId; a LIVE stage sends every order under the exchange's algo ID (${GENERIC_ALGO_ID} below the order-rate threshold)`,
          ]
        : [];
    const problem = algoIdTagProblem(c.algoId, budget, rules.broker);
    return problem === undefined ? [] : [`strategy ${c.id}: ${problem}`];
  });
}

/** The two sample strategies over the default universe. */
export const DEFAULT_STRATEGIES: readonly StrategyConfig[] = [
  {
    id: 'orb-15',
    // A placeholder of the exchange's format (the generic 99999 is the manual orders' default).
    algoId: '10001',
    kind: 'OPENING_RANGE_BREAKOUT',
    enabled: true,
    symbols: ['RELIANCE', 'TCS', 'INFY', 'ICICIBANK', 'LT'],
    rangeMinutes: 15,
    riskFraction: 0.5,
  },
  {
    id: 'ma-cross',
    // A placeholder of the exchange's format: replace it with the ID the exchange issues.
    algoId: '10002',
    kind: 'MA_CROSSOVER',
    enabled: true,
    symbols: ['HDFCBANK', 'SBIN', 'ITC', 'AXISBANK', 'BHARTIARTL'],
    fast: 5,
    slow: 20,
    stopPct: 1,
    riskFraction: 0.5,
  },
];
