import type { Context } from 'aws-lambda';
import { SCHEDULED_PROCEDURE_NAMES } from '../../contract/scheduled-procedures';
import { ValidationError } from '../../contract/validation';
import { handleControl } from '../../lambdas/control/function';
import { handleEmergencyStop } from '../../lambdas/emergency-stop/function';
import { handler } from '../../lambdas/emergency-stop/handler';
import { handleResume } from '../../lambdas/resume-trading/function';
import { scheduledFunction } from '../../lambdas/scheduled/deferred';
import { scheduledHandler } from '../../lambdas/shared/scheduled-handler';
import type { DispatchResult } from '../../services/ops/dispatch';
import {
  entry,
  openPositions,
  startServiceUnderOps,
  stopServiceUnderOps,
  type TestContext,
  type TradingFixture,
  tradingFlag,
} from '../ops/support';
import type { TestDatabase } from '../support/database';

/** What EventBridge delivers when an auto-kill alarm goes into ALARM. */
const alarmEvent = (state = 'ALARM', timestamp = '2026-11-23T05:00:00.000+0000') => ({
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2026-11-23T05:00:00Z',
  region: 'ap-south-1',
  resources: [
    'arn:aws:cloudwatch:ap-south-1:123456789012:alarm:algo-trading-local-daily-loss-stop',
  ],
  detail: {
    alarmName: 'algo-trading-local-daily-loss-stop',
    state: { value: state, reason: 'Threshold Crossed: 1 datapoint [1.0] >= 1.0', timestamp },
    previousState: { value: 'OK', timestamp: '2026-11-23T03:45:00.000+0000' },
    configuration: { metrics: [] },
  },
});

const procedure = (result: DispatchResult) => {
  if (result.kind !== 'procedure')
    throw new Error(`expected a procedure result, got ${result.kind}`);
  return result.result;
};

describe('ops Lambda handlers', () => {
  let db: TestDatabase;
  let trading: TradingFixture;
  let ctx: TestContext;
  const flag = () => tradingFlag(ctx);
  const auditRows = async () =>
    Number((await db.pool.query('SELECT count(*) FROM control_audit')).rows[0].count);

  beforeEach(async () => {
    ({ db, trading, ctx } = await startServiceUnderOps({ flag: 'true' }));
    await openPositions(trading, db.pool, [entry('INFY')]);
  });
  afterEach(() => stopServiceUnderOps({ db, trading }));

  describe('emergency-stop', () => {
    it('stops on an auto-kill alarm, naming the alarm as requester and reason, and audits it as the alarm', async () => {
      const result = procedure(await handleEmergencyStop(alarmEvent(), ctx));

      expect(result).toMatchObject({ procedure: 'emergency-stop', outcome: 'OK' });
      expect(await flag()).toBe('false');
      expect(trading.harness.internals.portfolio.openPositions()).toHaveLength(0);
      const { rows } = await db.pool.query(
        'SELECT actor, source, reason FROM control_audit WHERE action = $1',
        ['emergency-stop'],
      );
      expect(rows).toEqual([
        {
          actor: 'alarm:algo-trading-local-daily-loss-stop',
          source: 'alarm',
          reason: expect.stringMatching(
            /^alarm algo-trading-local-daily-loss-stop in ALARM: Threshold Crossed/,
          ),
        },
      ]);
    });

    it('stops once when EventBridge delivers the same alarm twice, and again for a new breach', async () => {
      const first = procedure(await handleEmergencyStop(alarmEvent(), ctx));
      const again = procedure(await handleEmergencyStop(alarmEvent(), ctx));
      const later = procedure(
        await handleEmergencyStop(alarmEvent('ALARM', '2026-11-23T06:10:00.000+0000'), ctx),
      );

      expect(again).toMatchObject({
        duplicateOf: first.id,
        steps: [{ name: 'duplicate', status: 'skipped' }],
      });
      expect(later).not.toHaveProperty('duplicateOf');
      expect(ctx.notifications()).toHaveLength(2);
    });

    it('refuses an alarm event that is not in ALARM, naming the state, and changes nothing', async () => {
      const before = await auditRows();

      await expect(handleEmergencyStop(alarmEvent('OK'), ctx)).rejects.toThrow(
        /Invalid alarm event: detail\.state\.value: .*"ALARM".*\(got "OK"\)/,
      );
      expect(await flag()).toBe('true');
      expect(await auditRows()).toBe(before);
      expect(trading.harness.internals.portfolio.openPositions()).toHaveLength(1);
    });

    it('runs an operator kill from the CLI or the dashboard', async () => {
      const result = procedure(
        await handleEmergencyStop(
          { action: 'kill', requestedBy: 'oncall@desk', reason: 'drill', scaleToZero: true },
          ctx,
        ),
      );

      expect(result.outcome).toBe('OK');
      expect(result.steps.find((s) => s.name === 'scale-to-zero')?.status).toBe('ok');
    });

    it.each([
      [
        { action: 'kill', requestedBy: 'oncall@desk' },
        /reason: a reason is required \(got nothing\)/,
      ],
      [
        { action: 'kill', requestedBy: 'oncall@desk', reason: 'drill', scaleToZero: 'yes' },
        /scaleToZero: .* \(got "yes"\)/,
      ],
      [{ action: 'kill', requestedBy: 'oncall@desk', reason: 'drill', force: true }, /force/],
      [
        { action: 'halt', requestedBy: 'oncall@desk', reason: 'drill' },
        /this function runs kill \(got "halt"\)/,
      ],
      [{ action: 'explode' }, /action: .* \(got "explode"\)/],
      ['kill', /Invalid operator event/],
    ])('rejects %j with a clear error and changes nothing', async (event, message) => {
      const before = await auditRows();

      const error = await handleEmergencyStop(event, ctx).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(message);
      expect(await flag()).toBe('true');
      expect(await auditRows()).toBe(before);
    });
  });

  describe('control', () => {
    it('runs the actions that need the VPC and refuses the kill and resume', async () => {
      const status = await handleControl({ action: 'status' }, ctx);
      expect(status.kind).toBe('status');

      const paused = procedure(
        await handleControl({ action: 'pause', requestedBy: 'oncall@desk', reason: 'news' }, ctx),
      );
      expect(paused.outcome).toBe('OK');
      expect(trading.harness.internals.states.state()).toBe('PAUSED');

      const audit = await handleControl({ action: 'audit-verify' }, ctx);
      expect(audit).toMatchObject({
        kind: 'audit',
        result: { ok: true, rows: expect.any(Number) },
      });

      for (const action of ['kill', 'resume']) {
        await expect(
          handleControl({ action, requestedBy: 'oncall@desk', reason: 'drill' }, ctx),
        ).rejects.toThrow(
          /this function runs halt, pause, unpause, flatten, reset-risk-halt, status, audit-verify/,
        );
      }
    });
  });

  describe('resume-trading', () => {
    it('runs only resume, and names a bad approver', async () => {
      await expect(
        handleResume({ action: 'halt', requestedBy: 'a', reason: 'drill' }, ctx),
      ).rejects.toThrow(/this function runs resume \(got "halt"\)/);
      await expect(
        handleResume(
          { action: 'resume', requestedBy: 'lead@desk', reason: 'incident closed', approvedBy: '' },
          ctx,
        ),
      ).rejects.toThrow(/approvedBy: .* \(got ""\)/);
    });
  });
});

describe('the deployed emergency-stop handler', () => {
  const context = {
    functionName: 'algo-trading-dev-emergency-stop',
    functionVersion: '$LATEST',
    invokedFunctionArn:
      'arn:aws:lambda:ap-south-1:123456789012:function:algo-trading-dev-emergency-stop',
    memoryLimitInMB: '512',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/algo-trading-dev-emergency-stop',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 600_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } satisfies Context;

  it('fails its cold start with the missing and bad variables named, before touching anything', async () => {
    const saved = { ...process.env };
    process.env.STAGE = 'qa';
    delete process.env.DB_SECRET_ARN;
    try {
      await expect(handler(alarmEvent(), context)).rejects.toThrow(
        /Invalid ops function environment: .*STAGE: .*\(got "qa"\).*DB_SECRET_ARN/,
      );
    } finally {
      process.env = saved;
    }
  });
});

describe('the scheduled functions', () => {
  it('refuse to start with a PROCEDURE that is not one of the scheduled procedures, naming it', () => {
    expect(() => scheduledHandler(scheduledFunction, { PROCEDURE: 'backups' })).toThrow(
      /Invalid PROCEDURE variable: .*"backups"/,
    );
    expect(() => scheduledHandler(scheduledFunction, {})).toThrow(/Invalid PROCEDURE variable/);
  });

  it('build one handler per procedure', () => {
    for (const name of SCHEDULED_PROCEDURE_NAMES)
      expect(typeof scheduledHandler(scheduledFunction, { PROCEDURE: name })).toBe('function');
  });
});
