import type { CalendarEntry } from '../../../contract/market-calendar';
import { replaceCalendarYears } from '../../common/calendar/calendar-store';
import { appendAudit } from '../../common/db/audit';
import type { OpsContext } from '../platform/ports';
import { finish, type OperatorRequest, procedureId } from '../steps/procedure';
import {
  type ProcedureResult,
  type ProgressListener,
  StepFailure,
  StepRunner,
} from '../steps/runner';

/** An import of the exchange's list: validated entries (`CalendarListSchema`) and their file. */
export interface CalendarImportRequest extends OperatorRequest {
  readonly source: string;
  readonly entries: readonly CalendarEntry[];
}

const count = (entries: readonly CalendarEntry[], type: CalendarEntry['type']) =>
  entries.filter((e) => e.type === type).length;

/**
 * `tradeops calendar import`: replaces each year in the list, wholly, with the list, and writes
 * the audit row in the same transaction. The whole file or nothing: a failure of any row (the
 * table's checks repeat the schema's) or of the audit row rolls all of it back. It needs the
 * database: without one (the CLI outside the VPC) it is refused, and the refusal is audited as
 * far as it can be. Every task and function reads the new list within a minute (the trading
 * service) or on its next run (the scheduled procedures).
 */
export async function importCalendar(
  ctx: OpsContext,
  request: CalendarImportRequest,
  onProgress?: ProgressListener,
): Promise<ProcedureResult> {
  const action = 'calendar-import';
  const started = ctx.now();
  const id = procedureId(action, started);
  const runner = new StepRunner(onProgress, ctx.sleep);
  const { db } = ctx;
  const years = [...new Set(request.entries.map((e) => e.date.slice(0, 4)))].sort();
  const summary = `${request.entries.length} entries for ${years.join(', ')} from ${request.source}: ${count(request.entries, 'TRADING_HOLIDAY')} holidays, ${count(request.entries, 'SPECIAL_SESSION')} special sessions, ${count(request.entries, 'SETTLEMENT_HOLIDAY')} settlement holidays`;
  const imported = await runner.run('import-and-audit', async () => {
    if (!db)
      throw new StepFailure(
        'no database access: the calendar lives in PostgreSQL, inside the VPC (run it where the admin function can be invoked)',
      );
    const result = await replaceCalendarYears(db, request.entries, {
      source: request.source,
      audit: {
        actor: request.requestedBy,
        source: ctx.source,
        action,
        reason: request.reason,
        stage: ctx.stage,
        outcome: 'OK',
      },
    });
    return `${summary}; audit row ${result.auditId}, sha256 ${result.sha256.slice(0, 12)}`;
  });
  if (imported.status === 'ok') return finish(action, id, ctx, request, started, runner);
  // Nothing was loaded: the refusal is audited where it can be (no database cannot take it).
  if (db)
    await runner.run('audit', async () => {
      const row = await appendAudit(db, {
        actor: request.requestedBy,
        source: ctx.source,
        action,
        reason: request.reason,
        stage: ctx.stage,
        outcome: 'REFUSED',
        result: { source: request.source, years, error: imported.detail },
      });
      return `refusal audited (row ${row.id})`;
    });
  else runner.skip('audit', 'no database: the refusal is not audited');
  return finish(action, id, ctx, request, started, runner, 'REFUSED', [imported.detail]);
}
