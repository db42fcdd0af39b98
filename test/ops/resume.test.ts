import { type ReadinessRunner, resume } from '../../services/ops/procedures/resume';
import type { TestDatabase } from '../support/database';
import {
  startServiceUnderOps,
  stopServiceUnderOps,
  type TestContext,
  type TradingFixture,
  tradingFlag,
} from './support';

const ready: ReadinessRunner = async () => ({ status: 'READY', runId: 'r-1', failing: [] });
const notReady: ReadinessRunner = async () => ({
  status: 'NOT_READY',
  runId: 'r-2',
  failing: ['broker-tokens: expire before 15:30 IST: PRIMARY'],
});

describe('resume', () => {
  let db: TestDatabase;
  let trading: TradingFixture;
  let ctx: TestContext;
  const flag = () => tradingFlag(ctx);

  beforeEach(async () => {
    ({ db, trading, ctx } = await startServiceUnderOps({ flag: 'false' }));
  });
  afterEach(() => stopServiceUnderOps({ db, trading }));

  it('enables trading after a fresh readiness check and clean reconciliation, auditing who and why', async () => {
    const result = await resume(
      ctx,
      { requestedBy: 'lead@desk', reason: 'incident closed' },
      ready,
    );

    expect(result.outcome).toBe('OK');
    expect(result.steps.map((s) => s.name)).toEqual([
      'preconditions',
      'restore-desired-count',
      'wait-stable',
      'readiness',
      'reconciliation',
      'audit-authorisation',
      'flag',
      'notify',
      'audit',
    ]);
    expect(await flag()).toBe('true');
    await trading.harness.internals.flag.poll();
    expect(trading.harness.internals.states.state()).toBe('ACTIVE');
    const { rows } = await db.pool.query(
      "SELECT actor, reason, outcome FROM control_audit WHERE action = 'resume'",
    );
    expect(rows).toEqual([{ actor: 'lead@desk', reason: 'incident closed', outcome: 'OK' }]);
  });

  it('refuses when the readiness check is NOT READY, and says why', async () => {
    const result = await resume(ctx, { requestedBy: 'lead@desk', reason: 'try' }, notReady);

    expect(result).toMatchObject({
      outcome: 'REFUSED',
      refusals: [
        'readiness check r-2 is NOT READY: broker-tokens: expire before 15:30 IST: PRIMARY',
      ],
    });
    expect(await flag()).toBe('false');
    const { rows } = await db.pool.query(
      "SELECT outcome FROM control_audit WHERE action = 'resume'",
    );
    expect(rows).toEqual([{ outcome: 'REFUSED' }]);
  });

  it('enforces the two-person rule when configured', async () => {
    const strict = { ...ctx, settings: { ...ctx.settings, twoPersonResume: true } };

    const alone = await resume(strict, { requestedBy: 'lead@desk', reason: 'r' }, ready);
    const self = await resume(
      strict,
      { requestedBy: 'lead@desk', reason: 'r', approvedBy: 'lead@desk' },
      ready,
    );
    // The same person in other letters or spacing is still one person.
    const disguised = await resume(
      strict,
      { requestedBy: 'lead@desk', reason: 'r', approvedBy: ' Lead@Desk' },
      ready,
    );
    const approved = await resume(
      strict,
      { requestedBy: 'lead@desk', reason: 'r', approvedBy: 'cto@desk' },
      ready,
    );

    expect(alone.refusals).toEqual([
      'two-person rule: an approver other than lead@desk must approve (approvedBy)',
    ]);
    expect(self.outcome).toBe('REFUSED');
    expect(disguised.outcome).toBe('REFUSED');
    expect(approved.outcome).toBe('OK');
  });

  it('refuses while fills are not reconciled with the broker', async () => {
    await db.pool.query(
      "INSERT INTO positions (strategy_id, symbol, quantity, avg_price) VALUES ('manual', 'ITC', 50, 410)",
    );

    const result = await resume(ctx, { requestedBy: 'lead@desk', reason: 'r' }, ready);

    expect(result.outcome).toBe('REFUSED');
    expect(result.refusals?.[0]).toMatch(
      /fills not reconciled with the broker: manual\/ITC: ours 50, broker 0/,
    );
    expect(await flag()).toBe('false');
  });

  it('uses a READY check from the last 15 minutes instead of running one', async () => {
    await db.pool.query(
      `INSERT INTO checklist_runs (id, procedure, trading_day, started_at, finished_at, status, triggered_by)
       VALUES ('7b8e6e1c-7f1c-4f4a-9a34-000000000001', 'readiness', '2026-11-23', now(), now() - interval '5 minutes', 'READY', 'cli')`,
    );
    const runner = jest.fn(notReady);

    const result = await resume(ctx, { requestedBy: 'lead@desk', reason: 'r' }, runner);

    expect(runner).not.toHaveBeenCalled();
    expect(result.outcome).toBe('OK');
    expect(result.steps.find((s) => s.name === 'readiness')?.detail).toMatch(
      /^readiness 7b8e6e1c-.* READY/,
    );
  });

  it('runs a readiness check when the last READY one is older than 15 minutes', async () => {
    await db.pool.query(
      `INSERT INTO checklist_runs (id, procedure, trading_day, started_at, finished_at, status, triggered_by)
       VALUES (gen_random_uuid(), 'readiness', '2026-11-23', now(), now() - interval '16 minutes', 'READY', 'cli')`,
    );
    const runner = jest.fn(ready);

    await resume(ctx, { requestedBy: 'lead@desk', reason: 'r' }, runner);

    expect(runner).toHaveBeenCalledTimes(1);
  });
});
