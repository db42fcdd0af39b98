import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { seedTrades } from '../../scripts/local/seed-trades';
import { appendAudit, verifyAuditChain } from '../../services/common/db/audit';
import { LocalDatabaseAdmin } from '../../services/ops/platform/local/local-database-admin';
import { databaseBackup } from '../../services/ops/procedures/backup';
import {
  restoreDatabase,
  rollbackService,
  scaleService,
} from '../../services/ops/procedures/fleet-admin';
import { recordsProcedure } from '../../services/ops/procedures/records';
import { runScheduled } from '../../services/ops/procedures/scheduled';
import { tradeExport } from '../../services/ops/procedures/trade-export';
import { databaseUrl, type TestDatabase } from '../support/database';
import {
  entry,
  openPositions,
  opsContextFor,
  startServiceUnderOps,
  stopServiceUnderOps,
  type TestContext,
  type TestFleet,
  type TradingFixture,
} from './support';

const DAY = '2026-11-23';
/** 17:00 IST on DAY: the export (16:05) and the backup (16:30) of the day are due. */
const EVENING = Date.parse('2026-11-23T11:30:00Z');
const who = { requestedBy: 'oncall@desk', reason: 'drill' };

describe('evening checklist, backup and restore against PostgreSQL', () => {
  let db: TestDatabase;
  let trading: TradingFixture;
  let ctx: TestContext;
  let snapshotDir: string;
  const restored: string[] = [];

  beforeAll(async () => {
    ({ db, trading } = await startServiceUnderOps({ flag: 'true' }));
    trading.harness.quoteAll();
    await seedTrades(db.pool, { day: DAY, count: 500 });
    await appendAudit(db.pool, {
      actor: 'oncall@desk',
      source: 'cli',
      action: 'halt',
      reason: 'before the backup',
      stage: 'local',
      outcome: 'OK',
    });
  }, 60_000);

  beforeEach(() => {
    snapshotDir = mkdtempSync(path.join(os.tmpdir(), 'snapshots-'));
    const base = opsContextFor(trading, db.pool);
    ctx = {
      ...base,
      now: () => EVENING,
      database: new LocalDatabaseAdmin(db.url, snapshotDir),
    };
  });

  afterAll(async () => {
    await stopServiceUnderOps({ db, trading });
    const admin = new Pool({ connectionString: databaseUrl('postgres') });
    for (const name of restored)
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('FAILs the evening checklist until the day is exported, recorded and backed up, then PASSes', async () => {
    const before = await runScheduled(ctx, 'evening-checklist', { date: DAY });
    const status = Object.fromEntries(before.results.map((r) => [r.name, r.status]));
    expect(before.status).toBe('FAIL');
    expect(status).toMatchObject({
      'day-summary': 'PASS',
      'positions-flat': 'PASS',
      'export-verified': 'FAIL',
      'records-verified': 'FAIL',
      snapshot: 'FAIL',
      'fills-reconciled': 'PASS',
      'audit-chain': 'PASS',
    });
    expect(before.results.find((r) => r.name === 'snapshot')?.detail).toBe(
      'algo-trading-local-backup-20261123 does not exist',
    );

    expect((await tradeExport(ctx, { date: DAY, triggeredBy: 'test' })).status).toBe('PASS');
    expect((await databaseBackup(ctx, { date: DAY, triggeredBy: 'test' })).status).toBe('PASS');
    expect((await recordsProcedure(ctx, { date: DAY, triggeredBy: 'test' })).status).toBe('PASS');
    const after = await runScheduled(ctx, 'evening-checklist', { date: DAY });

    expect(after.results.filter((r) => r.status !== 'PASS')).toEqual([]);
    expect(after.status).toBe('PASS');
    expect(after.results.find((r) => r.name === 'day-summary')?.detail).toMatch(
      /^2026-11-23: 500 trades/,
    );
    // Stored where the runbook looks: a row per check in PostgreSQL.
    const { rows } = await db.pool.query(
      'SELECT count(*)::int AS n FROM checklist_results WHERE run_id = $1',
      [after.id],
    );
    expect(rows[0].n).toBe(after.results.length);
  }, 60_000);

  it('restores a snapshot to a new database with the same rows and an intact audit chain', async () => {
    expect((await databaseBackup(ctx, { date: DAY, triggeredBy: 'test' })).status).toBe('PASS');
    // A change after the snapshot must not be in the copy.
    await db.pool.query("DELETE FROM fills WHERE trading_day = '2026-11-23' AND id % 2 = 0");

    const result = await restoreDatabase(ctx, {
      ...who,
      snapshotId: 'algo-trading-local-backup-20261123',
    });

    expect(result.steps.filter((s) => s.status !== 'ok')).toEqual([]);
    const target = /-> (\S+) /.exec(
      result.steps.find((s) => s.name === 'restore')?.detail ?? '',
    )?.[1];
    expect(target).toMatch(/^algo-trading-local-db-restored-\d{12}$/);
    // Locally the new instance is a new database of the same name, with _ for -.
    const copyName = (target as string).replaceAll('-', '_');
    restored.push(copyName);
    const copy = new Pool({ connectionString: databaseUrl(copyName) });
    try {
      const count = async (pool: Pool) =>
        (await pool.query("SELECT count(*)::int AS n FROM fills WHERE trading_day = '2026-11-23'"))
          .rows[0].n;
      expect(await count(copy)).toBe(500);
      expect(await count(db.pool)).toBe(250);
      expect(await verifyAuditChain(copy)).toMatchObject({ ok: true });
      // Sequences continue where they were: a new audit row in the copy chains on.
      await appendAudit(copy, {
        actor: 'x',
        source: 'cli',
        action: 'halt',
        reason: 'after restore',
        stage: 'local',
        outcome: 'OK',
      });
      expect(await verifyAuditChain(copy)).toMatchObject({ ok: true });
    } finally {
      await copy.end();
    }
    // And the restore itself is audited in the live database.
    const audit = await db.pool.query(
      "SELECT actor, outcome FROM control_audit WHERE action = 'restore' ORDER BY id DESC LIMIT 1",
    );
    expect(audit.rows[0]).toEqual({ actor: 'oncall@desk', outcome: 'OK' });
  }, 90_000);

  it('refuses to restore a snapshot that does not exist, or over the live database', async () => {
    const missing = await restoreDatabase(ctx, {
      ...who,
      snapshotId: 'algo-trading-local-backup-20200101',
    });
    expect(missing).toMatchObject({ outcome: 'REFUSED' });
    expect(missing.refusals).toEqual([
      'snapshot algo-trading-local-backup-20200101 does not exist',
    ]);

    const live = await restoreDatabase(ctx, {
      ...who,
      snapshotId: 'algo-trading-local-backup-20261123',
      target: 'algo-trading-local-db',
    });
    expect(live.refusals?.[0]).toMatch(/is the live database/);
  });

  it('the deadline check FAILs naming each procedure with no report by 09:05, and PASSes once all reported', async () => {
    // Each run at 17:00 IST of its day: after that day's close, as the schedules run them.
    const reported = async (procedure: string, day: string) =>
      db.pool.query(
        `INSERT INTO checklist_runs (id, procedure, trading_day, started_at, finished_at, status, triggered_by)
         VALUES (gen_random_uuid(), $1, $2, ($2::date + time '11:30') AT TIME ZONE 'UTC',
                 ($2::date + time '11:31') AT TIME ZONE 'UTC', 'PASS', 'scheduler')`,
        [procedure, day],
      );
    // Tuesday 2026-12-01; the previous trading day is Monday 2026-11-30.
    await reported('token-check', '2026-12-01');
    await reported('evening-checklist', '2026-11-30');
    await reported('trade-export', '2026-11-30');
    // A run still RUNNING (no finished_at) is not a report.
    await db.pool.query(
      `INSERT INTO checklist_runs (id, procedure, trading_day, started_at, status, triggered_by)
       VALUES (gen_random_uuid(), 'morning-checklist', '2026-12-01', now(), 'RUNNING', 'scheduler')`,
    );

    const missing = await runScheduled(ctx, 'deadline-check', { date: '2026-12-01' });
    expect(missing.status).toBe('FAIL');
    expect(
      missing.results.filter((r) => r.status === 'FAIL').map((r) => [r.name, r.detail]),
    ).toEqual([
      ['morning-checklist-ran', 'no completed morning-checklist run for 2026-12-01'],
      [
        'database-backup-ran',
        'no completed database-backup run for 2026-11-30 after its close (2026-11-30 15:30:00 IST)',
      ],
    ]);
    expect(ctx.notifications().at(-1)).toMatchObject({ topic: 'page' });

    await reported('morning-checklist', '2026-12-01');
    await reported('database-backup', '2026-11-30');
    const all = await runScheduled(ctx, 'deadline-check', { date: '2026-12-01' });
    // Every procedure reported; from 1 December the missing 2027 list is a warning (notify, P4).
    expect(all.status).toBe('WARN');
    expect(all.results.map((r) => [r.name, r.status])).toEqual([
      ['token-check-ran', 'PASS'],
      ['morning-checklist-ran', 'PASS'],
      ['evening-checklist-ran', 'PASS'],
      ['trade-export-ran', 'PASS'],
      ['database-backup-ran', 'PASS'],
      ['next-year-calendar', 'WARN'],
      // Muhurat 2026 (8 November, provisional hours) is behind 1 December.
      ['provisional-sessions', 'PASS'],
    ]);
  });

  it('refuses to scale to 0 while positions are open, and says what to run instead', async () => {
    await openPositions(trading, db.pool, [entry('INFY')]);

    const result = await scaleService(ctx, { ...who, count: 0 });

    expect(result.outcome).toBe('REFUSED');
    expect(result.refusals?.[0]).toMatch(
      /1 position\(s\) open: .*use "tradeops kill <stage> --scale-to-zero"/,
    );
    expect((ctx.fleet as TestFleet).calls.filter((c) => c.startsWith('setDesiredCount'))).toEqual(
      [],
    );
    const up = await scaleService(ctx, { ...who, count: 2 });
    expect(up.steps.map((s) => [s.name, s.status])).toEqual([
      ['preconditions', 'ok'],
      ['set-desired-count', 'ok'],
      ['wait-stable', 'ok'],
      ['audit', 'ok'],
    ]);
  });

  it('rolls back to the previous active revision, or refuses one that cannot run', async () => {
    const fleet = ctx.fleet as TestFleet;
    const arn = (n: number) =>
      `arn:aws:ecs:ap-south-1:1:task-definition/algo-trading-local-trading:${n}`;
    fleet.revisionList = [
      { arn: arn(9), revision: 9, status: 'ACTIVE' },
      { arn: arn(8), revision: 8, status: 'INACTIVE' },
      { arn: arn(7), revision: 7, status: 'ACTIVE' },
    ];
    fleet.describe = async (service) => ({
      name: service,
      desiredCount: 1,
      runningCount: 1,
      pendingCount: 0,
      rolloutState: 'COMPLETED',
      taskDefinition: arn(9),
      events: [],
    });

    const back = await rollbackService(ctx, who);
    expect(back.outcome).toBe('OK');
    expect(fleet.calls).toContain(`deployRevision algo-trading-local-trading ${arn(7)}`);

    const inactive = await rollbackService(ctx, { ...who, toRevision: 8 });
    expect(inactive.refusals).toEqual(['revision 8 is INACTIVE: it cannot run']);
    const unknown = await rollbackService(ctx, { ...who, toRevision: 3 });
    expect(unknown.refusals).toEqual(['revision 3 does not exist (have 9, 8, 7)']);
  });
});
