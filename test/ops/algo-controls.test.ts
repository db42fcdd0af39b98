import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OperatorEventSchema } from '../../contract/operator-events';
import { parseOrThrow } from '../../contract/validation';
import { emergencyStop } from '../../services/ops/procedures/emergency-stop';
import { halt } from '../../services/ops/procedures/halt';
import { type ReadinessRunner, resume } from '../../services/ops/procedures/resume';
import { flatten } from '../../services/ops/procedures/service-controls';
import { status } from '../../services/ops/procedures/status';
import type { TestDatabase } from '../support/database';
import { CLEAN_ALGO_KILL_STEPS } from '../support/kill-steps';
import { eventually } from '../trading/harness';
import {
  entry,
  openPositions,
  startServiceUnderOps,
  stopServiceUnderOps,
  type TestContext,
  type TradingFixture,
  tradingFlag,
} from './support';

// The sample strategies: orb-15 under algo ID 10001 (INFY, TCS), ma-cross under 10002 (SBIN).
const ORB = '10001';
const MA = '10002';
const ready: ReadinessRunner = async () => ({ status: 'READY', runId: 'r-1', failing: [] });
const asStrategy = (strategyId: string, e: ReturnType<typeof entry>) => ({ ...e, strategyId });

describe('per-algo controls (halt, flatten, resume, kill --algo)', () => {
  let db: TestDatabase;
  let trading: TradingFixture;
  let ctx: TestContext;
  const flag = () => tradingFlag(ctx);
  const submit = (strategyId: string, symbol: string, stop: number) =>
    trading.harness.service.submitOrder(asStrategy(strategyId, entry(symbol, 10, stop)));

  beforeEach(async () => {
    ({ db, trading, ctx } = await startServiceUnderOps({ flag: 'true' }));
    await openPositions(trading, db.pool, [
      asStrategy('orb-15', entry('INFY', 10, 1490)),
      asStrategy('ma-cross', entry('SBIN', 10, 810)),
    ]);
  });
  afterEach(() => stopServiceUnderOps({ db, trading }));

  it('halts one algo durably and on every task, leaving the flag and the other algo trading', async () => {
    const result = await halt(ctx, { requestedBy: 'oncall@desk', reason: 'runaway', algoId: ORB });

    expect(result.outcome).toBe('OK');
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['algo-halt', 'ok'],
      ['push-algo-halt', 'ok'],
      ['notify', 'ok'],
      ['audit', 'ok'],
    ]);
    expect(await flag()).toBe('true');
    const { rows } = await db.pool.query('SELECT algo_id, halted, updated_by FROM algo_halts');
    expect(rows).toEqual([{ algo_id: ORB, halted: true, updated_by: 'oncall@desk' }]);
    trading.harness.quoteAll();
    expect(await submit('orb-15', 'TCS', 3440)).toMatchObject({ reason: 'ALGO_HALTED' });
    expect(await submit('ma-cross', 'ITC', 410)).toMatchObject({ outcome: 'ACCEPTED' });
    const report = await status(ctx);
    expect(report.tasks[0]?.state?.algos?.find((a) => a.algoId === ORB)?.halted).toMatchObject({
      by: 'oncall@desk',
      reason: 'halt algo 10001: runaway',
    });
    const audit = await db.pool.query(
      "SELECT actor, before_state, after_state, outcome FROM control_audit WHERE action = 'halt-algo'",
    );
    expect(audit.rows).toEqual([
      {
        actor: 'oncall@desk',
        before_state: { algoId: ORB, halted: false },
        after_state: { algoId: ORB, halted: true, stored: true },
        outcome: 'OK',
      },
    ]);
  });

  it('refuses to resume an algo without the second approver, then resumes it through the gates', async () => {
    await halt(ctx, { requestedBy: 'oncall@desk', reason: 'runaway', algoId: ORB });
    const strict = { ...ctx, settings: { ...ctx.settings, twoPersonResume: true } };

    const alone = await resume(
      strict,
      { requestedBy: 'oncall@desk', reason: 'fixed', algoId: ORB },
      ready,
    );
    const approved = await resume(
      strict,
      { requestedBy: 'oncall@desk', reason: 'fixed', algoId: ORB, approvedBy: 'lead@desk' },
      ready,
    );

    expect(alone.refusals).toEqual([
      'two-person rule: an approver other than oncall@desk must approve (approvedBy)',
    ]);
    expect(approved.outcome).toBe('OK');
    expect(approved.steps.map((s) => [s.name, s.status])).toEqual([
      ['preconditions', 'ok'],
      ['restore-desired-count', 'skipped'],
      ['wait-stable', 'ok'],
      ['readiness', 'ok'],
      ['reconciliation', 'ok'],
      ['audit-authorisation', 'ok'],
      ['algo-resume', 'ok'],
      ['notify', 'ok'],
      ['audit', 'ok'],
    ]);
    await eventually(
      () =>
        trading.harness.service.stateView().algos.find((a) => a.algoId === ORB)?.halted === null,
      5000,
      'the task to see the resume',
    );
    trading.harness.quoteAll();
    expect(await submit('orb-15', 'TCS', 3440)).toMatchObject({ outcome: 'ACCEPTED' });
    const audit = await db.pool.query(
      "SELECT actor, outcome, after_state FROM control_audit WHERE action = 'resume-algo' ORDER BY id",
    );
    expect(audit.rows.map((r) => r.outcome)).toEqual(['REFUSED', 'OK']);
    expect(audit.rows[1].after_state).toEqual({
      algoId: ORB,
      halted: false,
      approvedBy: 'lead@desk',
    });
  });

  it('refuses to resume an algo that is not halted', async () => {
    const result = await resume(ctx, { requestedBy: 'a@desk', reason: 'why', algoId: MA }, ready);

    expect(result.outcome).toBe('REFUSED');
    expect(result.refusals).toEqual([`algo ${MA} is not halted: nothing to resume`]);
  });

  it("flattens one algo's positions only", async () => {
    const result = await flatten(ctx, {
      requestedBy: 'oncall@desk',
      reason: 'reduce',
      dryRun: false,
      algoId: MA,
    });

    expect(result.outcome).toBe('OK');
    await eventually(() =>
      trading.harness.internals.portfolio.position('ma-cross', 'SBIN')?.quantity === 0 ? 1 : 0,
    );
    expect(trading.harness.internals.portfolio.position('orb-15', 'INFY')?.quantity).toBe(10);
  });

  it('kills one algo: its halt, its entries cancelled, its positions flat and verified, the rest untouched', async () => {
    const result = await emergencyStop(ctx, {
      requestedBy: 'oncall@desk',
      reason: 'algo drill',
      scaleToZero: false,
      algoId: ORB,
    });

    expect(result.outcome).toBe('OK');
    expect(result.steps.map((s) => [s.name, s.status])).toEqual(CLEAN_ALGO_KILL_STEPS);
    expect(await flag()).toBe('true');
    expect(trading.harness.internals.states.state()).toBe('ACTIVE');
    expect(trading.harness.internals.portfolio.position('orb-15', 'INFY')?.quantity).toBe(0);
    expect(trading.harness.internals.portfolio.position('ma-cross', 'SBIN')?.quantity).toBe(10);
    const request = (await ctx.parameters.getParameters([ctx.names.flattenRequestParameter])).found;
    expect(JSON.parse(request.get(ctx.names.flattenRequestParameter)?.value ?? '{}')).toMatchObject(
      { id: result.id, algoId: ORB },
    );
    const summary = JSON.parse(
      readFileSync(path.join(ctx.objectDir, 'incidents', result.id, 'summary.json'), 'utf8'),
    );
    expect(summary.algoId).toBe(ORB);
    const halts = JSON.parse(
      readFileSync(path.join(ctx.objectDir, 'incidents', result.id, 'algo-halts.json'), 'utf8'),
    );
    expect(halts).toEqual([expect.objectContaining({ algoId: ORB, halted: true })]);
    expect(ctx.notifications()).toEqual([
      expect.objectContaining({
        topic: 'page',
        subject: `[P1] KILL algo ${ORB} OK on local: algo drill`,
      }),
    ]);
  });

  it('refuses a kill of one algo that would scale the service to zero, at the schema', () => {
    const event = {
      action: 'kill',
      requestedBy: 'oncall@desk',
      reason: 'drill',
      algoId: ORB,
      scaleToZero: true,
    };

    expect(() => parseOrThrow(OperatorEventSchema, event, 'kill request')).toThrow(
      /scaleToZero: scaleToZero stops every algo: not with algoId/,
    );
    expect(() =>
      parseOrThrow(OperatorEventSchema, { ...event, scaleToZero: false, algoId: '9x' }, 'kill'),
    ).toThrow(/algoId: expected the exchange's algo ID/);
  });
});
