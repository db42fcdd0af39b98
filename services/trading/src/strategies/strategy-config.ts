import * as z from 'zod';

const id = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,39}$/, 'expected a lower-case id such as orb-15')
  .refine((v) => v !== 'manual', '"manual" is reserved for operator orders');
const symbols = z.array(z.string().min(1)).min(1);
/** Share of the per-trade risk budget a signal may use. */
const riskFraction = z.number().positive().max(1).default(0.5);

export const OpeningRangeBreakoutConfigSchema = z
  .object({
    id,
    kind: z.literal('OPENING_RANGE_BREAKOUT'),
    enabled: z.boolean().default(true),
    symbols,
    /** Length of the opening range from 09:15 IST. @default 15 */
    rangeMinutes: z.number().int().min(5).max(60).default(15),
    riskFraction,
  })
  .strict();

export const MovingAverageCrossoverConfigSchema = z
  .object({
    id,
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
  .refine((c) => c.fast < c.slow, { message: 'fast must be shorter than slow', path: ['fast'] });

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
  );

/** The two sample strategies over the default universe. */
export const DEFAULT_STRATEGIES: readonly StrategyConfig[] = [
  {
    id: 'orb-15',
    kind: 'OPENING_RANGE_BREAKOUT',
    enabled: true,
    symbols: ['RELIANCE', 'TCS', 'INFY', 'ICICIBANK', 'LT'],
    rangeMinutes: 15,
    riskFraction: 0.5,
  },
  {
    id: 'ma-cross',
    kind: 'MA_CROSSOVER',
    enabled: true,
    symbols: ['HDFCBANK', 'SBIN', 'ITC', 'AXISBANK', 'BHARTIARTL'],
    fast: 5,
    slow: 20,
    stopPct: 1,
    riskFraction: 0.5,
  },
];
