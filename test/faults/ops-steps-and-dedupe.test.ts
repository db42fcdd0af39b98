import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { OrderView } from '../../contract/trading-api';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import type { TradingClient } from '../../services/ops/platform/trading-client';
import { emergencyStop } from '../../services/ops/procedures/emergency-stop';
import { type ReadinessRunner, resume } from '../../services/ops/procedures/resume';
import { type TestContext, TestFleet, testOpsContext } from '../ops/support';
import { createTestDatabase, type TestDatabase } from '../support/database';

const who = { requestedBy: 'oncall@desk', reason: 'fault drill' };
const FLAG = '/algo-trading/local/trading_enabled';

describe('ops procedures when a step throws, hangs, or a delivery repeats', () => {
  let db: TestDatabase;
  let ctx: TestContext;
  let parameters: LocalParameterStore;
  const flag = async () => (await parameters.getParameters([FLAG])).found.get(FLAG)?.value;

  beforeEach(async () => {
    db = await createTestDatabase();
    parameters = new LocalParameterStore(
      path.join(await mkdtemp(path.join(os.tmpdir(), 'ops-steps-')), 'parameters.json'),
    );
    await parameters.putParameter(FLAG, 'false', 'setup');
    ctx = testOpsContext({
      db: db.pool,
      parameters,
      fleet: new TestFleet([]),
      settings: { enablingStepTimeoutMs: 300 },
    });
  });
  afterEach(async () => {
    await db.close();
  });

  it('refuses to resume when the readiness check throws', async () => {
    // Arrange
    const throwing: ReadinessRunner = async () => {
      throw new Error('checks crashed: ECS DescribeServices AccessDenied');
    };

    // Act
    const result = await resume(ctx, who, throwing);

    // Assert
    expect(result.outcome).toBe('REFUSED');
    expect(result.refusals).toContain(
      'readiness could not run: failed: Error: checks crashed: ECS DescribeServices AccessDenied',
    );
    expect(result.steps.map((s) => s.name)).not.toContain('flag');
    expect(await flag()).toBe('false');
  });

  it('refuses to resume when the readiness check never answers (timed out)', async () => {
    // Arrange: a check that hangs until the test ends.
    let release: () => void = () => undefined;
    const hanging: ReadinessRunner = () =>
      new Promise((resolve) => {
        release = () => resolve({ status: 'READY', runId: 'late', failing: [] });
      });

    // Act
    const result = await resume(ctx, who, hanging);
    release();

    // Assert
    expect(result.outcome).toBe('REFUSED');
    expect(result.refusals).toContain(
      'readiness could not run: did not finish within 300 ms (timed out)',
    );
    expect(await flag()).toBe('false');
  });

  describe('the emergency stop dedupe claim', () => {
    const key = 'alarm:daily-loss-stop:2026-11-23T05:00:00.000Z';
    const claimLeftBy = async (expiresInMs: number) =>
      db.pool.query(
        `INSERT INTO ops_invocations (dedupe_key, procedure, result, in_progress_expiry)
         VALUES ($1, 'emergency-stop', '{"id": "kill-died-midway", "outcome": "RUNNING"}', now() + $2 * interval '1 millisecond')`,
        [key, expiresInMs],
      );
    const at = (offsetMs: number) => ({ ...ctx, now: () => Date.now() + offsetMs });
    const request = { ...who, scaleToZero: false, dedupeKey: key };

    it('reports a live claim as in progress and does nothing', async () => {
      // Arrange
      await claimLeftBy(10 * 60_000);

      // Act
      const again = await emergencyStop(ctx, request);

      // Assert
      expect(again).toMatchObject({
        duplicateOf: 'kill-died-midway',
        steps: [
          {
            name: 'duplicate',
            status: 'skipped',
            detail: expect.stringMatching(/^in progress under kill-died-midway until /),
          },
        ],
      });
    });

    it('runs the stop again once the claim of a run that died has expired, then returns its result', async () => {
      // Arrange: the first run died (Lambda timeout); 11 minutes later the alarm is redelivered.
      await claimLeftBy(10 * 60_000);
      await parameters.putParameter(FLAG, 'true', 'trader');

      // Act
      const rerun = await emergencyStop(at(11 * 60_000), request);
      const third = await emergencyStop(at(12 * 60_000), request);

      // Assert
      expect(rerun.duplicateOf).toBeUndefined();
      expect(rerun.steps[0]).toMatchObject({ name: 'flag', status: 'ok' });
      expect(await flag()).toBe('false');
      expect(third).toMatchObject({
        duplicateOf: rerun.id,
        steps: [
          {
            name: 'duplicate',
            detail: `already handled by ${rerun.id} (${rerun.outcome}): nothing done again`,
          },
        ],
      });
    });
  });

  it('reports what the halt cancelled in the push-halt step, and never "0 entries" after it', async () => {
    // Arrange: one task with a working entry that its halt cancels.
    const working: OrderView[] = [
      { clientOrderId: 'C-ENTRY-1', reduceOnly: false } as OrderView,
      { clientOrderId: 'C-EXIT-1', reduceOnly: true } as OrderView,
    ];
    let halted = false;
    const trading = {
      unreachableBecause: undefined,
      workingOrders: async () => (halted ? working.filter((o) => o.reduceOnly) : working),
      halt: async () => {
        halted = true;
        return { state: 'HALTED' };
      },
      flatten: async () => ({ submitted: [], failed: [], legs: [], cancelledEntries: [] }),
      positions: async () => [],
    } as unknown as TradingClient;
    const task = { taskId: 'task-a', url: 'http://127.0.0.1:1', status: 'RUNNING' };

    // Act
    const result = await emergencyStop(
      { ...ctx, trading, fleet: new TestFleet([task]) },
      { ...who, scaleToZero: false },
    );

    // Assert
    const detail = (name: string) => result.steps.find((s) => s.name === name)?.detail;
    expect(detail('push-halt')).toBe('task-a: HALTED, cancelling 1 working entry (C-ENTRY-1)');
    expect(detail('cancel-working-orders')).toBe(
      '1 entry cancelled by the halt (C-ENTRY-1); none left working',
    );
  });
});
