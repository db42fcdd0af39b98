import type { ScheduledProcedureName } from '../../../contract/scheduled-procedures';
import { formatIst } from '../../common/time';
import { type Check, fail, pass, warn } from '../checks/framework';
import { type ChecklistContext, closeOf } from '../checks/support';
import type { OpsContext } from '../platform/ports';
import { type ChecklistReport, runChecklist, type ScheduledRequest } from './checklist';

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
      const day = due.day === 'today' ? ctx.day : ctx.calendar.previousTradingDay(ctx.day);
      // An evening procedure counts only if it ran after that day's close: a 16:00 run on a
      // Muhurat evening session's day was SKIPPED (or forced early) and covered nothing.
      const after = due.day === 'today' ? new Date(0) : new Date(closeOf(ctx, day));
      const { rows } = await ctx.db.query<{
        status: string;
        finished_at: Date;
        triggered_by: string;
      }>(
        `SELECT status, finished_at, triggered_by FROM checklist_runs
          WHERE procedure = $1 AND trading_day = $2 AND finished_at IS NOT NULL
            AND status <> 'SKIPPED' AND started_at >= $3
          ORDER BY started_at DESC LIMIT 1`,
        [due.procedure, day, after],
      );
      const run = rows[0];
      if (!run)
        return fail(
          `no completed ${due.procedure} run for ${day}${due.day === 'today' ? '' : ` after its close (${formatIst(after.getTime())})`}`,
        );
      return pass(
        `${day}: ${run.status} at ${formatIst(run.finished_at.getTime())} (${run.triggered_by})`,
      );
    },
  };
}

/** From this month on, the deadline check warns while next year's NSE list is missing. */
export const NEXT_YEAR_WARNING_FROM_MONTH = 12;

/**
 * From 1 December, a WARN (P4: the notify topic) on every run while next year's list is neither
 * in the repository nor imported. On 1 January without it, every day is UNKNOWN: no entries, and
 * every scheduled procedure FAILs.
 */
export const nextYearCalendar: Check<ChecklistContext> = {
  name: 'next-year-calendar',
  severity: 'LOW',
  async run(ctx) {
    const year = Number(ctx.day.slice(0, 4));
    const next = ctx.calendar.year(year + 1);
    if (next) return pass(`NSE list for ${year + 1} loaded (from the ${next.origin})`);
    if (Number(ctx.day.slice(5, 7)) < NEXT_YEAR_WARNING_FROM_MONTH)
      return pass(`NSE list for ${year + 1} not needed before 1 December`);
    return warn(
      `NSE list for ${year + 1} is missing: from 1 January nothing trades and every procedure fails; import it (npx tradeops calendar import <stage> nse-${year + 1}.csv)`,
    );
  },
};

/**
 * A WARN (P4) on every run while a special session to come has placeholder hours (Muhurat's day
 * is known from the holiday list long before its hour): the service would open and square off at
 * hours the exchange has not confirmed.
 */
export const provisionalSessions: Check<ChecklistContext> = {
  name: 'provisional-sessions',
  severity: 'LOW',
  async run(ctx) {
    const sessions = ctx.calendar.provisionalSessions(ctx.day);
    if (sessions.length === 0) return pass('every special session to come has confirmed hours');
    return warn(
      `${sessions.map((s) => `${s.date} ${s.specialSession} ${s.session?.open}-${s.session?.close} IST`).join('; ')}: hours unconfirmed (provisional); import the exchange's timing circular (npx tradeops calendar import <stage> <file.csv>)`,
      sessions,
    );
  },
};

/**
 * The deadline check: FAIL (and a page) when a procedure that should have reported by now has
 * no report. Its own failure to run goes to the dead-letter queue like every scheduled one.
 */
export function deadlineCheck(
  ctx: OpsContext,
  request: ScheduledRequest,
): Promise<ChecklistReport> {
  return runChecklist(ctx, [...DUE_BY_DEADLINE.map(ran), nextYearCalendar, provisionalSessions], {
    procedure: 'deadline-check',
    pageOn: ['FAIL'],
    ...request,
  });
}
