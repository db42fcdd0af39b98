import { ScheduledEventSchema } from '../../../contract/operator-events';
import type { ScheduledProcedureName } from '../../../contract/scheduled-procedures';
import { parseOrThrow } from '../../../contract/validation';
import type { OpsContext } from '../platform/ports';
import { databaseBackup, maintenance } from './backup';
import type { ChecklistReport } from './checklist';
import { deadlineCheck } from './deadline-check';
import { eveningChecklist } from './evening';
import { type MorningRequest, morningChecklist } from './morning';
import { recordsProcedure } from './records';
import { tokenCheck } from './token-check';
import { tradeExport } from './trade-export';

/** The procedure behind each scheduled name: one table for the Lambdas, the CLI and the local scheduler. */
const RUNNERS: Record<
  ScheduledProcedureName,
  (ctx: OpsContext, request: MorningRequest) => Promise<ChecklistReport>
> = {
  'token-check': tokenCheck,
  'morning-checklist': morningChecklist,
  'deadline-check': deadlineCheck,
  'evening-checklist': eveningChecklist,
  'trade-export': tradeExport,
  records: recordsProcedure,
  'database-backup': databaseBackup,
  maintenance,
};

/**
 * A scheduled procedure's event (from the schedule, the CLI or the local scheduler), validated,
 * to the procedure. A FAIL is a report, not an exception: only a run that cannot produce a report
 * throws.
 */
export async function runScheduled(
  ctx: OpsContext,
  name: ScheduledProcedureName,
  event: unknown,
): Promise<ChecklistReport> {
  const e = parseOrThrow(ScheduledEventSchema, event ?? {}, `${name} event`);
  return RUNNERS[name](ctx, {
    date: e.date,
    force: e.force,
    triggeredBy: e.requestedBy,
    gate: e.gate,
  });
}
