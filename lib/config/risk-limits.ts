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
    /** Orders per second across the service (NSE threshold for unregistered algos). @default 10 */
    maxOrdersPerSecond: z.number().int().positive().max(10).default(10),
    /** Limit prices must be within this percent of the last traded price. @default 2 */
    priceCollarPct: z.number().positive().max(20).default(2),
    /** Same symbol, side, quantity and strategy within this window is a duplicate. @default 2000 */
    duplicateWindowMs: z.number().int().nonnegative().max(60_000).default(2000),
  })
  .strict();

export type RiskLimits = z.output<typeof RiskLimitsSchema>;
export type RiskLimitsInput = z.input<typeof RiskLimitsSchema>;
