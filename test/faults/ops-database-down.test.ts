import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { type LocalPostgres, startLocalPostgres } from '../../scripts/local/postgres';
import { FileAuditSpool } from '../../services/common/db/audit-spool';
import { migrate } from '../../services/common/db/migrate';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import { emergencyStop } from '../../services/ops/procedures/emergency-stop';
import { type ReadinessRunner, resume } from '../../services/ops/procedures/resume';
import { resetRiskHalt, unpause } from '../../services/ops/procedures/service-controls';
import { type TestContext, TestFleet, testOpsContext } from '../ops/support';

const ready: ReadinessRunner = async () => ({ status: 'READY', runId: 'r-1', failing: [] });
const who = { requestedBy: 'oncall@desk', reason: 'database outage drill' };

/**
 * The procedures against a PostgreSQL of this file's own, which the tests stop and start again
 * (the shared server of the run is never stopped).
 */
describe('ops procedures while PostgreSQL is down', () => {
  let dir: string;
  // A folder of its own: as root, PostgreSQL runs as `postgres`, which must be able to enter it.
  let dataDir: string;
  let pg: LocalPostgres;
  let pool: Pool;
  let ctx: TestContext;
  let fleet: TestFleet;
  let spool: FileAuditSpool;
  const start = async (port?: number) =>
    startLocalPostgres({
      dataDir,
      persistent: true,
      ephemeralTuning: true,
      ...(port ? { port } : {}),
    });
  const flag = async () =>
    (await ctx.parameters.getParameters([ctx.names.flagParameter])).found.get(
      ctx.names.flagParameter,
    )?.value;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ops-db-down-'));
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ops-db-down-pg-'));
    pg = await start();
    await pg.createDatabase('algotrading');
    pool = new Pool({
      connectionString: pg.url('algotrading'),
      max: 3,
      connectionTimeoutMillis: 2_000,
    }).on('error', () => undefined);
    await migrate(pool);
    fleet = new TestFleet([]);
    spool = new FileAuditSpool(path.join(dir, 'audit-spool-cli.jsonl'));
    const parameters = new LocalParameterStore(path.join(dir, 'parameters.json'));
    await parameters.putParameter('/algo-trading/local/trading_enabled', 'false', 'setup');
    ctx = { ...testOpsContext({ db: pool, parameters, fleet }), auditSpool: spool };
    await pg.stop();
  }, 120_000);

  afterAll(async () => {
    await pool?.end().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses to resume, leaves the flag untouched, and says which step refused and why', async () => {
    // Act
    const result = await resume(ctx, who, ready);

    // Assert
    expect(result.outcome).toBe('REFUSED');
    expect(result.refusals).toEqual([
      expect.stringMatching(/^preconditions could not run: failed: .*ECONNREFUSED/),
    ]);
    expect(result.steps.map((s) => s.name)).not.toContain('flag');
    expect(await flag()).toBe('false');
    expect(result.steps.at(-1)).toMatchObject({
      name: 'audit',
      status: 'ok',
      detail: expect.stringMatching(/^audit deferred \(.*ECONNREFUSED.*\): spooled as /),
    });
  });

  it('refuses unpause and reset-risk-halt without calling any task: they cannot be audited first', async () => {
    // Act
    const unpaused = await unpause(ctx, who);
    const reset = await resetRiskHalt(ctx, who);

    // Assert
    for (const result of [unpaused, reset]) {
      expect(result.outcome).toBe('REFUSED');
      expect(result.refusals).toEqual([
        expect.stringMatching(/^audit-authorisation: failed: .*ECONNREFUSED/),
      ]);
    }
    expect(fleet.calls).not.toContain('tasks');
  });

  it('kills without waiting for the database, defers its audit row, and writes it in order when PostgreSQL returns', async () => {
    // Act: the kill, while the database is down.
    const started = Date.now();
    const killed = await emergencyStop(ctx, {
      ...who,
      scaleToZero: false,
      dedupeKey: 'alarm:loss-stop:2026-11-23T05:00:00Z',
    });
    const tookMs = Date.now() - started;

    // Assert: halted, and told what it could not do.
    expect(await flag()).toBe('false');
    expect(tookMs).toBeLessThan(ctx.settings.auditTimeoutMs * 3);
    expect(killed.steps.find((s) => s.name === 'dedupe')).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/could not claim .*: the stop runs without de-duplication/),
    });
    expect(killed.steps.at(-1)?.detail).toMatch(/^audit deferred \(.*ECONNREFUSED/);

    // Act: the database returns; the next audited action writes the spooled rows first.
    pg = await start(pg.port);
    const later = await resume(ctx, who, ready);

    // Assert
    expect(later.steps.find((s) => s.name === 'audit')?.detail).toMatch(/^control_audit row \d+/);
    expect(await spool.list()).toEqual([]);
    const { rows } = await pool.query<{ action: string; outcome: string; deferred: boolean }>(
      "SELECT action, outcome, result ? 'deferred' AS deferred FROM control_audit ORDER BY id",
    );
    expect(rows.map((r) => [r.action, r.outcome, r.deferred])).toEqual([
      ['resume', 'REFUSED', true],
      ['unpause', 'REFUSED', true],
      ['reset-risk-halt', 'REFUSED', true],
      ['emergency-stop', expect.any(String), true],
      // No task runs in this drill: the resume is refused again, now audited directly.
      ['resume', 'REFUSED', false],
    ]);
  }, 120_000);
});
