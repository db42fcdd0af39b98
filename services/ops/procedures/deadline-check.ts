import type { ScheduledProcedureName } from '../../../contract/scheduled-procedures';
import { MarketCalendar } from '../../common/market-calendar';
import { formatIst } from '../../common/time';
import { type Check, fail, pass } from '../checks/framework';
import type { ChecklistContext } from '../checks/support';
import type { OpsContext } from '../platform/ports';
import { type ChecklistReport, runChecklist, type ScheduledRequest } from './checklist';

const calendar = new MarketCalendar();

/**
 * What must have run by the deadline check (09:05 IST): today's pre-open procedures and the
 * previous trading day's evening ones. A schedule that never fired leaves no Lambda error and no
 * dead letter; only the missing report shows it.
 */
export const DUE_BY_DEADLINE: ReadonlyArray<{
  readonly procedure: ScheduledProcedureName;
  readonly day: 'today' | 'previous-trading-day';
}> = [
  { procedure: 'token-check', day: 'today' },
  { procedure: 'morning-checklist', day: 'today' },
  { procedure: 'evening-checklist', day: 'previous-trading-day' },
  { procedure: 'trade-export', day: 'previous-trading-day' },
  { procedure: 'database-backup', day: 'previous-trading-day' },
];

function ran(due: (typeof DUE_BY_DEADLINE)[number]): Check<ChecklistContext> {
  return {
    name: `${due.procedure}-ran`,
    severity: 'HIGH',
    async run(ctx) {
      // Not knowing whether it ran is not a pass.
      if (!ctx.db) return fail('no database access: cannot tell whether it ran');
      const day = due.day === 'today' ? ctx.day : calendar.previousTradingDay(ctx.day);
      const { rows } = await ctx.db.query<{
        status: string;
        finished_at: Date;
        triggered_by: string;
      }>(
        `SELECT status, finished_at, triggered_by FROM checklist_runs
          WHERE procedure = $1 AND trading_day = $2 AND finished_at IS NOT NULL
          ORDER BY started_at DESC LIMIT 1`,
        [due.procedure, day],
      );
      const run = rows[0];
      if (!run) return fail(`no completed ${due.procedure} run for ${day}`);
      return pass(
        `${day}: ${run.status} at ${formatIst(run.finished_at.getTime())} (${run.triggered_by})`,
      );
    },
  };
}

/**
 * The deadline check: FAIL (and a page) when a procedure that should have reported by now has
 * no report. Its own failure to run goes to the dead-letter queue like every scheduled one.
 */
export function deadlineCheck(
  ctx: OpsContext,
  request: ScheduledRequest,
): Promise<ChecklistReport> {
  return runChecklist(ctx, DUE_BY_DEADLINE.map(ran), {
    procedure: 'deadline-check',
    pageOn: ['FAIL'],
    ...request,
  });
}
