import * as z from 'zod';

/**
 * Pre-trade risk limits. Shared by the stage config (synth time) and the trading service, which
 * receives them as JSON in `RISK_LIMITS` and validates them again at start.
 */
export const RiskLimitsSchema = z
  .object({
    /** Trading capital in INR: the base of every percentage below. */
    capitalInr: z.number().positive(),
    /** Largest loss one trade may risk (entry to stop), percent of capital. @default 0.5 */
    perTradeRiskPct: z.number().positive().max(5).default(0.5),
    /** Sum of open risk (distance to stop times quantity) over capital, percent. @default 2 */
    maxPortfolioHeatPct: z.number().positive().max(10).default(2),
    /** Daily loss (realized + unrealized) that triggers HARD_HALT and flatten, percent. @default 2.5 */
    dailyLossStopPct: z.number().positive().max(20).default(2.5),
    /** Largest notional of a single order, INR. */
    maxOrderNotionalInr: z.number().positive(),
    /** Largest absolute position notional per symbol, INR. */
    maxPositionNotionalInr: z.number().positive(),
    /**
     * Messages (new, modify, cancel) per second for the client, across every task of the stage,
     * counted at the broker's door. At most 10 (the exchange's threshold for unregistered algos)
     * unless `registeredAlgo`. @default 8
     */
    maxOrdersPerSecond: z.number().int().positive().default(8),
    /** The stage's algo is registered with the exchange for a higher order rate. @default false */
    registeredAlgo: z.boolean().default(false),
    /**
     * Slack added to the 1 s window of the order-rate limit: the most a message may take from its
     * slot to the broker without two windows' worth landing in one second there. @default 200
     */
    orderRateMarginMs: z.number().int().min(0).max(1000).default(200),
    /** Limit prices must be within this percent of the last traded price. @default 2 */
    priceCollarPct: z.number().positive().max(20).default(2),
    /** Same symbol, side, quantity and strategy within this window is a duplicate. @default 2000 */
    duplicateWindowMs: z.number().int().nonnegative().max(60_000).default(2000),
  })
  .strict()
  .superRefine((limits, ctx) => {
    if (limits.maxOrdersPerSecond > 10 && !limits.registeredAlgo)
      ctx.addIssue({
        code: 'custom',
        path: ['maxOrdersPerSecond'],
        message: `${limits.maxOrdersPerSecond} orders/s is above the 10/s of an unregistered algo: set registeredAlgo: true only with the exchange's approval`,
      });
  });

export type RiskLimits = z.output<typeof RiskLimitsSchema>;
export type RiskLimitsInput = z.input<typeof RiskLimitsSchema>;
