import type { Schedules } from './stage';

/** The procedures that run on a schedule, in the order of the day. */
export const SCHEDULED_PROCEDURE_NAMES = [
  'token-check',
  'morning-checklist',
  'deadline-check',
  'evening-checklist',
  'trade-export',
  'records',
  'database-backup',
  'maintenance',
] as const;

export type ScheduledProcedureName = (typeof SCHEDULED_PROCEDURE_NAMES)[number];

/**
 * Each scheduled procedure's entry in the stage config's schedules and what it does. Kept apart
 * from the procedures themselves: the CDK app reads it without loading their code.
 */
export const SCHEDULED_PROCEDURE_INFO: Record<
  ScheduledProcedureName,
  { readonly schedule: keyof Schedules; readonly description: string }
> = {
  'token-check': { schedule: 'tokenCheck', description: 'broker tokens valid past 15:30 IST' },
  'morning-checklist': {
    schedule: 'morningChecklist',
    description: 'READY / NOT READY before the open (readiness gate)',
  },
  'deadline-check': {
    schedule: 'deadlineCheck',
    description:
      "today's token check and morning checklist, and yesterday's evening procedures, ran",
  },
  'evening-checklist': {
    schedule: 'eveningChecklist',
    description: 'flat, reconciled, exported, backed up, errors of the day',
  },
  'trade-export': {
    schedule: 'tradeExport',
    description: "the day's trades to S3 as CSV, with a verified manifest",
  },
  records: {
    schedule: 'records',
    description:
      "the day's order events, fills, risk events, audit rows and reports to the records bucket, chained",
  },
  'database-backup': {
    schedule: 'databaseBackup',
    description: "the day's RDS snapshot, verified; old ones pruned",
  },
  maintenance: {
    schedule: 'maintenance',
    description: 'snapshot, VACUUM (ANALYZE), table sizes; when the market is closed',
  },
};
