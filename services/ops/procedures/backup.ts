import { snapshotIdentifier } from '../../../contract/names';
import { isTransient } from '../../common/aws-errors';
import { messageOf } from '../../common/errors';
import { retry } from '../../common/retry';
import { type Check, fail, pass, skipped, warn } from '../checks/framework';
import type { ChecklistContext } from '../checks/support';
import type { DatabaseSnapshot, OpsContext } from '../platform/ports';
import { type ChecklistReport, runChecklist, type ScheduledRequest } from './checklist';

/** `YYYYMMDD` at the end of one of our snapshot ids, as `YYYY-MM-DD`. */
export function snapshotDate(prefix: string, id: string): string | undefined {
  const m = new RegExp(`^${prefix.replace(/[-]/g, '\\-')}(\\d{4})(\\d{2})(\\d{2})$`).exec(id);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

/**
 * Which of our snapshots to delete: older than `retentionDays` before `day`, never the newest
 * available one (a backup that failed for a week must not leave us with none), never `keep`,
 * and never a snapshot whose id is not ours (`<prefix>YYYYMMDD`).
 */
export function snapshotsToPrune(
  snapshots: readonly DatabaseSnapshot[],
  options: { prefix: string; day: string; retentionDays: number; keep: string },
): DatabaseSnapshot[] {
  const cutoff =
    new Date(`${options.day}T00:00:00Z`).getTime() - options.retentionDays * 86_400_000;
  const ours = snapshots
    .map((s) => ({ s, date: snapshotDate(options.prefix, s.id) }))
    .filter((x): x is { s: DatabaseSnapshot; date: string } => x.date !== undefined);
  const newest = ours
    .filter((x) => x.s.status === 'available')
    .sort((a, b) => b.date.localeCompare(a.date))[0]?.s.id;
  return ours
    .filter(
      (x) =>
        x.s.id !== newest &&
        x.s.id !== options.keep &&
        x.s.status === 'available' &&
        new Date(`${x.date}T00:00:00Z`).getTime() < cutoff,
    )
    .map((x) => x.s);
}

/** Creates the day's snapshot, or finds it already there: a second run is a no-op. */
function snapshotStep(): Check<ChecklistContext> {
  return {
    name: 'snapshot',
    severity: 'HIGH',
    async run(c) {
      if (!c.database) return fail('no database admin access from here');
      const database = c.database;
      const id = snapshotIdentifier(c.stage, c.day);
      const existing = await database.snapshot(id);
      if (existing) return pass(`${id} already exists (${existing.status}): nothing to create`);
      try {
        await retry(() => database.createSnapshot(id), {
          attempts: 4,
          retryable: isTransient,
        });
      } catch (error) {
        // Another run (a retried delivery) may have created it meanwhile.
        if ((error as { name?: string }).name !== 'DBSnapshotAlreadyExistsFault') throw error;
      }
      return pass(`${id} requested from ${database.instanceId}`);
    },
  };
}

/** Waits (bounded) until the day's snapshot is available. */
function verifyStep(): Check<ChecklistContext> {
  return {
    name: 'verify',
    severity: 'HIGH',
    // The wait has its own bound, below; this only keeps a hung call from running forever.
    timeoutMs: 14 * 60_000,
    async run(c, signal) {
      if (!c.database) return skipped('no database admin access');
      const id = snapshotIdentifier(c.stage, c.day);
      const deadline = c.now() + c.settings.snapshotWaitMs;
      for (;;) {
        const s = await c.database.snapshot(id);
        if (!s) return fail(`${id} does not exist`);
        if (s.status === 'available')
          return pass(`${id} available${s.sizeGiB ? ` (${s.sizeGiB} GiB)` : ''}`, s);
        if (s.status !== 'creating') return fail(`${id} is ${s.status}`, s);
        if (c.now() >= deadline || signal.aborted)
          return warn(
            `${id} still creating (${s.percentProgress ?? '?'}%) after ${Math.round(c.settings.snapshotWaitMs / 60_000)} min: see tradeops snapshots ${c.stage}`,
            s,
          );
        await c.sleep(15_000);
      }
    },
  };
}

function pruneStep(): Check<ChecklistContext> {
  return {
    name: 'prune',
    severity: 'MEDIUM',
    async run(c) {
      if (!c.database) return skipped('no database admin access');
      const database = c.database;
      const prefix = c.names.snapshotPrefix;
      const snapshots = await database.snapshots(prefix);
      const doomed = snapshotsToPrune(snapshots, {
        prefix,
        day: c.day,
        retentionDays: c.settings.snapshotRetentionDays,
        keep: snapshotIdentifier(c.stage, c.day),
      });
      const failed: string[] = [];
      for (const s of doomed) {
        try {
          await retry(() => database.deleteSnapshot(s.id), { attempts: 3, retryable: isTransient });
        } catch (error) {
          failed.push(`${s.id}: ${messageOf(error)}`);
        }
      }
      const kept = snapshots.length - doomed.length + failed.length;
      const line = `${doomed.length - failed.length} deleted (older than ${c.settings.snapshotRetentionDays} days), ${kept} kept`;
      return failed.length
        ? fail(`${line}; could not delete ${failed.join('; ')}`)
        : pass(doomed.length ? `${line}: ${doomed.map((s) => s.id).join(', ')}` : line);
    },
  };
}

/**
 * The database backup (16:30 IST): the manual snapshot `algo-trading-<stage>-backup-<YYYYMMDD>`
 * (idempotent), waited for until available, then older ones pruned beyond the retention.
 */
export function databaseBackup(
  ctx: OpsContext,
  request: ScheduledRequest,
): Promise<ChecklistReport> {
  return runChecklist(ctx, [snapshotStep(), verifyStep(), pruneStep()], {
    procedure: 'database-backup',
    afterClose: true,
    sequential: true,
    ...request,
  });
}

const TABLE_SIZES = `SELECT schemaname || '.' || relname AS "table",
       pg_total_relation_size(relid) AS bytes,
       pg_size_pretty(pg_total_relation_size(relid)) AS size,
       n_live_tup AS rows, n_dead_tup AS dead_rows
  FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC`;

/**
 * Weekly maintenance (Saturday 06:00 IST, market closed): a snapshot first, then VACUUM ANALYZE
 * and the table-size report of the runbook.
 */
export function maintenance(ctx: OpsContext, request: ScheduledRequest): Promise<ChecklistReport> {
  const vacuum: Check<ChecklistContext> = {
    name: 'vacuum-analyze',
    severity: 'MEDIUM',
    timeoutMs: 10 * 60_000,
    async run(c) {
      if (!c.db) return fail('no database access from here');
      const started = c.now();
      await c.db.query('VACUUM (ANALYZE)');
      return pass(
        `VACUUM ANALYZE of ${c.names.dbName} in ${Math.round((c.now() - started) / 1000)} s`,
      );
    },
  };
  const sizes: Check<ChecklistContext> = {
    name: 'table-sizes',
    severity: 'LOW',
    async run(c) {
      if (!c.db) return skipped('no database access from here');
      const { rows } = await c.db.query<{
        table: string;
        bytes: string;
        size: string;
        rows: string;
        dead_rows: string;
      }>(TABLE_SIZES);
      const total = rows.reduce((sum, r) => sum + Number(r.bytes), 0);
      return pass(
        `${rows.length} tables, ${(total / 1024 ** 2).toFixed(1)} MiB; largest: ${rows
          .slice(0, 3)
          .map((r) => `${r.table} ${r.size}`)
          .join(', ')}`,
        rows,
      );
    },
  };
  return runChecklist(ctx, [snapshotStep(), verifyStep(), vacuum, sizes], {
    procedure: 'maintenance',
    sequential: true,
    runsOn: 'non-trading-days',
    ...request,
  });
}
