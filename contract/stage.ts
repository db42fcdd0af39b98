/**
 * What of a stage the runtime shares with the CDK app: the stage names, the schedules schema and
 * the defaults both sides need (the CDK's stage table in lib/config/stages.ts uses them; the
 * service, the ops procedures and the local stack fall back to them).
 */
import * as z from 'zod';
import type { RiskLimitsInput } from './risk-limits';

/** The deployment stages. Names are part of the operator contract: keep them stable. */
export const STAGES = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

/** A time of day in IST, `HH:MM`, 24-hour. */
export const TimeOfDaySchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour, IST)');

/** When a scheduled procedure runs: a time in IST and the days of the week. */
export const ScheduleSchema = z
  .object({
    time: TimeOfDaySchema,
    days: z.enum(['MON-FRI', 'SAT', 'SUN', 'MON-SAT', 'DAILY']),
  })
  .strict();
export type Schedule = z.output<typeof ScheduleSchema>;

/** The scheduled procedures and when each runs. */
export const SchedulesSchema = z
  .object({
    tokenCheck: ScheduleSchema,
    morningChecklist: ScheduleSchema,
    deadlineCheck: ScheduleSchema,
    eveningChecklist: ScheduleSchema,
    tradeExport: ScheduleSchema,
    records: ScheduleSchema,
    databaseBackup: ScheduleSchema,
    maintenance: ScheduleSchema,
  })
  .strict();
export type Schedules = z.output<typeof SchedulesSchema>;

/**
 * When the scheduled procedures run, in IST (EventBridge Scheduler, Asia/Kolkata).
 *
 * The trading-day procedures fire DAILY and each handler asks the market calendar whether the
 * day trades (SKIPPED, stored but not published, when it does not). We chose that over having the
 * stage synthesize one-off schedules for special sessions because the calendar changes at run
 * time: `tradeops calendar import` loads the exchange's list into PostgreSQL, and the exchange
 * announces weekend sessions (Sunday 1 February 2026, Budget day) and closures (15 January 2026)
 * only days ahead. Synth cannot read PostgreSQL (no network calls at synth), so synthesized
 * schedules would follow only the repository's file and need a deploy after every import; one
 * calendar read by every handler cannot disagree with the trading service. The cost is two
 * Lambda runs a weekend per procedure. Maintenance stays on Saturday: it runs when the market is
 * closed and skips a trading Saturday.
 */
export const DEFAULT_SCHEDULES: Schedules = {
  tokenCheck: { time: '07:30', days: 'DAILY' },
  morningChecklist: { time: '08:45', days: 'DAILY' },
  deadlineCheck: { time: '09:05', days: 'DAILY' },
  eveningChecklist: { time: '16:00', days: 'DAILY' },
  tradeExport: { time: '16:05', days: 'DAILY' },
  records: { time: '16:10', days: 'DAILY' },
  databaseBackup: { time: '16:30', days: 'DAILY' },
  maintenance: { time: '06:00', days: 'SAT' },
};

/** The pre-trade risk limits of every stage, and of the service when none are given. */
export const DEFAULT_RISK_LIMITS: RiskLimitsInput = {
  capitalInr: 1_000_000,
  perTradeRiskPct: 0.5,
  maxPortfolioHeatPct: 2,
  dailyLossStopPct: 2.5,
  maxOrderNotionalInr: 200_000,
  maxPositionNotionalInr: 300_000,
  maxOrdersPerSecond: 8,
  priceCollarPct: 2,
  duplicateWindowMs: 2000,
};

/** The broker token names of every stage, and of the paper venue when none are given. */
export const DEFAULT_BROKER_TOKENS: readonly string[] = [
  'PRIMARY',
  'WEBSOCKET1',
  'WEBSOCKET2',
  'WEBSOCKET3',
  'OPTIONCHAIN1',
  'OPTIONCHAIN2',
];

/**
 * Days the manual snapshots `algo-trading-<stage>-backup-<YYYYMMDD>` are kept, by stage: the
 * stage table deploys the backup function with it, and the CLI's fallback backup (the operator's
 * credentials, no function) prunes with the same number.
 */
export const SNAPSHOT_RETENTION_DAYS: Readonly<Record<Stage, number>> = {
  dev: 3,
  staging: 7,
  prod: 30,
};
