import { readdirSync } from 'node:fs';
import path from 'node:path';
import { verifyAuditChain } from '../../services/common/db/audit';
import { DESIRED_COUNT_TAG, emergencyStop } from '../../services/ops/procedures/emergency-stop';
import type { TestDatabase } from '../support/database';
import { CLEAN_KILL_STEPS } from '../support/kill-steps';
import { eventually } from '../trading/harness';
import {
  entry,
  openPositions,
  startServiceUnderOps,
  stopServiceUnderOps,
  type TestContext,
  type TestFleet,
  type TradingFixture,
} from './support';

const request = { requestedBy: 'oncall@desk', reason: 'drill', scaleToZero: false };

describe('emergencyStop against a real trading service', () => {
  let db: TestDatabase;
  let trading: TradingFixture;
  let fleet: TestFleet;
  let ctx: TestContext;

  beforeEach(async () => {
    const ops = await startServiceUnderOps({ flag: 'true' });
    ({ db, trading, ctx } = ops);
    fleet = ops.ctx.fleet;
    await openPositions(trading, db.pool, [entry('INFY'), entry('TCS', 10, 3400)]);
  });
  afterEach(() => stopServiceUnderOps({ db, trading }));

  it('halts, flattens, verifies zero, bundles, pages and audits', async () => {
    const result = await emergencyStop(ctx, request);

    expect(result.outcome).toBe('OK');
    expect(result.steps.map((s) => [s.name, s.status])).toEqual(CLEAN_KILL_STEPS);
    expect(trading.harness.internals.portfolio.openPositions()).toEqual([]);
    expect(trading.harness.internals.states.state()).toBe('HALTED');
    const flag = await ctx.parameters.getParameters([
      ctx.names.flagParameter,
      ctx.names.flattenRequestParameter,
    ]);
    expect(flag.found.get(ctx.names.flagParameter)?.value).toBe('false');
    expect(JSON.parse(flag.found.get(ctx.names.flattenRequestParameter)?.value ?? '{}')).toEqual({
      id: result.id,
      reason: 'drill',
      requester: 'oncall@desk',
    });
    const bundle = readdirSync(path.join(ctx.objectDir, 'incidents', result.id)).sort();
    expect(bundle).toEqual(
      expect.arrayContaining([
        'positions.json',
        'working-orders.json',
        'flag-history.json',
        'tasks.json',
        'services.json',
        'summary.json',
      ]),
    );
    expect(ctx.notifications()).toEqual([
      expect.objectContaining({ topic: 'page', subject: '[P1] KILL OK on local: drill' }),
    ]);
    const { rows } = await db.pool.query(
      "SELECT actor, source, action, reason, outcome FROM control_audit WHERE action = 'emergency-stop'",
    );
    expect(rows).toEqual([
      {
        actor: 'oncall@desk',
        source: 'cli',
        action: 'emergency-stop',
        reason: 'drill',
        outcome: 'OK',
      },
    ]);
    expect(await verifyAuditChain(db.pool)).toMatchObject({ ok: true });
  });

  it('is safe to run twice: nothing is sent again and the remembered count survives', async () => {
    fleet.desired = 2;

    const first = await emergencyStop(ctx, { ...request, scaleToZero: true });
    const exitsAfterFirst = (
      await db.pool.query('SELECT count(*)::int AS n FROM orders WHERE reduce_only')
    ).rows[0].n;
    const second = await emergencyStop(ctx, { ...request, scaleToZero: true });

    expect(first.outcome).toBe('OK');
    expect(second.outcome).toBe('OK');
    expect(
      (await db.pool.query('SELECT count(*)::int AS n FROM orders WHERE reduce_only')).rows[0].n,
    ).toBe(exitsAfterFirst);
    expect(fleet.desired).toBe(0);
    expect(fleet.tagsByService.get(ctx.names.tradingService)).toEqual({ [DESIRED_COUNT_TAG]: '2' });
    expect(second.steps.find((s) => s.name === 'verify-flat')?.detail).toMatch(
      /all positions zero/,
    );
  });

  it('runs every step when the trading service cannot be reached, and says so', async () => {
    fleet.endpoints = [{ taskId: 'task-gone', url: 'http://127.0.0.1:9', status: 'RUNNING' }];

    const result = await emergencyStop(ctx, request);

    const status = Object.fromEntries(result.steps.map((s) => [s.name, s.status]));
    expect(result.outcome).toBe('PARTIAL');
    expect(status).toMatchObject({
      flag: 'ok',
      'flatten-request': 'ok',
      'push-halt': 'failed',
      'cancel-working-orders': 'failed',
      flatten: 'failed',
      'verify-flat': 'failed',
      'incident-bundle': 'ok',
      page: 'ok',
      audit: 'ok',
    });
    expect(ctx.notifications()[0]?.subject).toBe('[P1] KILL PARTIAL on local: drill');
    expect(ctx.notifications()[0]?.message).toMatch(/FAILED\s+push-halt/);
    // The flag and the flatten request still reach the service on its next read.
    await trading.harness.internals.flag.poll();
    await eventually(
      () => trading.harness.internals.portfolio.openPositions().length === 0,
      5000,
      'self-flatten from the request',
    );
  });

  it('reports a position the flatten cannot close as a residual', async () => {
    // A strategy nobody holds: no task will flatten it.
    await db.pool.query(
      "INSERT INTO positions (strategy_id, symbol, quantity, avg_price) VALUES ('retired', 'ITC', 300, 410)",
    );

    const result = await emergencyStop(ctx, request);

    const verify = result.steps.find((s) => s.name === 'verify-flat');
    expect(verify).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining('retired/ITC 300'),
    });
    expect(result.outcome).toBe('PARTIAL');
  });

  it('keeps going when the object store and the notifier are down', async () => {
    const broken = {
      ...ctx,
      objects: {
        ...ctx.objects,
        location: 's3://down',
        put: async () => Promise.reject(new Error('S3 unavailable')),
      },
      notifier: { publish: async () => Promise.reject(new Error('SNS unavailable')) },
    };

    const result = await emergencyStop(broken, request);

    const byName = Object.fromEntries(result.steps.map((s) => [s.name, s]));
    expect(byName.flatten?.status).toBe('ok');
    expect(byName['verify-flat']?.status).toBe('ok');
    expect(byName['incident-bundle']).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining('S3 unavailable'),
    });
    expect(byName.page).toMatchObject({ status: 'failed', error: 'Error: SNS unavailable' });
    expect(byName.audit?.status).toBe('ok');
    expect(result.outcome).toBe('PARTIAL');
  });

  it('acts once per alarm delivery, however often it is delivered', async () => {
    const key = 'alarm:algo-trading-local-daily-loss-stop:2026-11-23T05:00:00.000Z';

    const first = await emergencyStop(ctx, { ...request, dedupeKey: key });
    const again = await emergencyStop(ctx, { ...request, dedupeKey: key });

    expect(first.outcome).toBe('OK');
    expect(again).toMatchObject({
      outcome: 'OK',
      duplicateOf: first.id,
      steps: [{ name: 'duplicate', status: 'skipped' }],
    });
    expect(ctx.notifications()).toHaveLength(1);
  });
});
