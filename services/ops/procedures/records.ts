import { type Check, fail, pass, skipped } from '../checks/framework';
import type { ChecklistContext } from '../checks/support';
import type { OpsContext } from '../platform/ports';
import { recordsCutoff, recordsStore, verifyDayRecords } from '../records/stage-records';
import { writeDayRecords } from '../records/write-records';
import { type ChecklistReport, runChecklist, type ScheduledRequest } from './checklist';

/**
 * The five-year records (16:10 IST on trading days): the day's order events, fills, risk events,
 * `control_audit` rows and checklist reports to `records/<kind>/<date>/` in the records bucket
 * (Object Lock), with a manifest chained to the previous day's; then read back and verified.
 * Idempotent: a day already written is compared with the database, never rewritten.
 */
export async function recordsProcedure(
  ctx: OpsContext,
  request: ScheduledRequest,
): Promise<ChecklistReport> {
  let written = false;
  const writeStep: Check<ChecklistContext> = {
    name: 'write',
    severity: 'HIGH',
    timeoutMs: 10 * 60_000,
    async run(c, signal) {
      if (!c.db) return fail('no database access from here');
      const cutoffMs = recordsCutoff(c, c.day);
      if (c.now() < cutoffMs)
        return fail(
          `the records of ${c.day} are cut at ${c.settings.schedules.records.time} IST: not yet`,
        );
      const outcome = await writeDayRecords(c.db, recordsStore(c), {
        stage: c.stage,
        day: c.day,
        cutoffMs,
        now: c.now,
        signal,
      });
      if (outcome.status === 'refused') return fail(outcome.detail);
      written = true;
      return pass(`${outcome.status}: ${outcome.detail}`, {
        manifestSha256: outcome.manifestSha256,
        window: outcome.manifest.window,
        rows: Object.fromEntries(outcome.manifest.objects.map((o) => [o.kind, o.rows])),
      });
    },
  };
  const verifyStep: Check<ChecklistContext> = {
    name: 'verify',
    severity: 'HIGH',
    timeoutMs: 10 * 60_000,
    async run(c) {
      if (!written) return skipped('nothing was written');
      const v = await verifyDayRecords(c, c.day);
      return v.ok ? pass(`read back: ${v.summary}`) : fail(v.summary, v.firstBroken);
    },
  };
  return runChecklist(ctx, [writeStep, verifyStep], {
    procedure: 'records',
    sequential: true,
    ...request,
  });
}
