import { Readable } from 'node:stream';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServicesCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  GetParameterHistoryCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { snapshotIdentifier } from '../../contract/names';
import type {
  BrokerHealthView as BrokerView,
  FeedView,
  TaskState as StateView,
} from '../../contract/trading-api';
import { MarketCalendar } from '../../services/common/market-calendar';
import {
  type Check,
  type CheckOutcome,
  runChecks,
  runSteps,
} from '../../services/ops/checks/framework';
import {
  alarmsNow,
  alarmsOvernight,
  albTargets,
  brokerTokens,
  databaseHealth,
  egressIp,
  errorsSinceClose,
  feedFreshness,
  flagState,
  holidayCalendar,
  servicesRunning,
} from '../../services/ops/checks/morning-checks';
import type { ChecklistContext } from '../../services/ops/checks/support';
import { awsOpsContext } from '../../services/ops/platform/aws/aws-context';
import { RdsDatabaseAdmin } from '../../services/ops/platform/aws/rds-admin';
import { S3ObjectStore } from '../../services/ops/platform/aws/s3-object-store';
import type { OpsContext, OpsSettings } from '../../services/ops/platform/ports';
import { TradingClient } from '../../services/ops/platform/trading-client';
import {
  databaseBackup,
  maintenance,
  snapshotsToPrune,
} from '../../services/ops/procedures/backup';
import { evaluateChecklist } from '../../services/ops/procedures/checklist';
import { morningChecklist } from '../../services/ops/procedures/morning';
import { runScheduled } from '../../services/ops/procedures/scheduled';

const ecs = mockClient(ECSClient);
const cloudwatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const ssm = mockClient(SSMClient);
const rds = mockClient(RDSClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const elb = mockClient(ElasticLoadBalancingV2Client);

const DAY = '2026-11-23'; // a Monday; the previous trading day is Friday 2026-11-20
const AT_0845_IST = Date.parse('2026-11-23T03:15:00Z');
/** 16:30 IST on the same day: the backup's time, after the close. */
const AT_1630_IST = Date.parse('2026-11-23T11:00:00Z');

/** The trading service's answers, without a service: the checks only read them. */
class FakeTrading extends TradingClient {
  broker_: BrokerView = {
    name: 'kite',
    connected: true,
    circuitBreaker: 'CLOSED',
    tokens: [
      { name: 'PRIMARY', expiresAt: '2026-11-23T22:00:00Z' },
      { name: 'WEBSOCKET1', expiresAt: '2026-11-23T22:00:00Z' },
    ],
  } as BrokerView;
  feeds_: FeedView[] = [
    { source: 'kite', status: 'FRESH', tick_lag_sec: 0.4, depth_lag_sec: 0.6 } as FeedView,
  ];
  marketOpen = false;

  constructor() {
    super(async () => 'token');
  }
  override async broker(): Promise<BrokerView> {
    return this.broker_;
  }
  override async feeds(): Promise<FeedView[]> {
    return this.feeds_;
  }
  override async state(): Promise<StateView> {
    return { market: { open: this.marketOpen } } as StateView;
  }
}

let trading: FakeTrading;

function context(overrides: Partial<ChecklistContext> = {}): ChecklistContext {
  const base = awsOpsContext({
    stage: 'prod',
    source: 'lambda',
    region: 'ap-south-1',
    bucket: 'algo-trading-prod-data-123456789012',
    topics: { page: 'arn:aws:sns:ap-south-1:1:page', notify: 'arn:aws:sns:ap-south-1:1:notify' },
    settings: {
      brokerTokens: ['PRIMARY', 'WEBSOCKET1'],
      registeredEgressIps: ['13.1.2.3', '13.1.2.4'],
      egressIps: ['13.1.2.3', '13.1.2.4'],
    },
  });
  return {
    ...base,
    trading,
    now: () => AT_0845_IST,
    sleep: async () => undefined,
    day: DAY,
    calendar: new MarketCalendar(),
    ...overrides,
  };
}

const run = (check: Check<ChecklistContext>, ctx = context()): Promise<CheckOutcome> =>
  check.run(ctx, new AbortController().signal);

const service = (name: string, running: number, desired: number, deployments = 1) => ({
  serviceName: name,
  desiredCount: desired,
  runningCount: running,
  pendingCount: desired - running,
  taskDefinition: `arn:aws:ecs:ap-south-1:1:task-definition/${name}:7`,
  deployments: Array.from({ length: deployments }, (_, i) => ({
    status: i === 0 ? 'PRIMARY' : 'ACTIVE',
    rolloutState: deployments === 1 ? 'COMPLETED' : 'IN_PROGRESS',
  })),
});

beforeEach(() => {
  for (const m of [ecs, cloudwatch, logs, ssm, rds, s3, sns, elb]) m.reset();
  trading = new FakeTrading();
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
});

describe('morning checks: PASS, WARN and FAIL, against mocked AWS APIs', () => {
  it('ecs-services: PASS when both services run their desired count on a completed rollout', async () => {
    ecs.on(DescribeServicesCommand).callsFake((input) => ({
      services: [service(input.services[0], 2, 2)],
    }));
    const outcome = await run(servicesRunning);
    expect(outcome.status).toBe('PASS');
    expect(outcome.detail).toContain('algo-trading-prod-trading 2/2 running, rollout COMPLETED');
  });

  it('ecs-services: FAIL while a rollout is in progress or tasks are missing', async () => {
    ecs.on(DescribeServicesCommand).callsFake((input) => ({
      services: [
        input.services[0].endsWith('trading')
          ? service(input.services[0], 1, 2, 2)
          : service(input.services[0], 1, 1),
      ],
    }));
    const outcome = await run(servicesRunning);
    expect(outcome).toMatchObject({ status: 'FAIL' });
    expect(outcome.detail).toContain('algo-trading-prod-trading 1/2 running, rollout IN_PROGRESS');
  });

  it('alarms-now: PASS with none in ALARM, FAIL naming the ones that are', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    expect((await run(alarmsNow)).status).toBe('PASS');

    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'algo-trading-prod-rds-cpu', StateReason: 'Threshold crossed' }],
    });
    expect(await run(alarmsNow)).toMatchObject({
      status: 'FAIL',
      detail: '1 in ALARM: algo-trading-prod-rds-cpu',
    });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toMatchObject({
      AlarmNamePrefix: 'algo-trading-prod',
      StateValue: 'ALARM',
      // safe-to-trade is a composite alarm: without this it would never be listed.
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
  });

  it("alarms-overnight: WARN for alarms since the last close (Friday's), PASS otherwise", async () => {
    cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [
        {
          AlarmName: 'algo-trading-prod-feed-stale',
          Timestamp: new Date('2026-11-21T01:00:00Z'),
          HistorySummary: 'Alarm updated from OK to ALARM',
        },
        // Back to OK is not a firing; another stage's alarm is not ours.
        {
          AlarmName: 'algo-trading-prod-feed-stale',
          HistorySummary: 'Alarm updated from ALARM to OK',
        },
        { AlarmName: 'algo-trading-dev-x', HistorySummary: 'Alarm updated from OK to ALARM' },
      ],
    });
    const outcome = await run(alarmsOvernight);
    expect(outcome.status).toBe('WARN');
    expect(outcome.detail).toBe(
      '1 alarm(s) since 2026-11-20 15:30:00 IST: algo-trading-prod-feed-stale',
    );
    expect(
      cloudwatch.commandCalls(DescribeAlarmHistoryCommand)[0]?.args[0].input.StartDate,
    ).toEqual(new Date('2026-11-20T10:00:00Z'));

    cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
    expect((await run(alarmsOvernight)).status).toBe('PASS');
  });

  it('kill-flag: PASS with its value and who set it last; FAIL when the parameter is missing', async () => {
    ssm.on(GetParameterHistoryCommand).resolves({
      Parameters: [
        { Value: 'true', Version: 1, LastModifiedDate: new Date('2026-11-20T03:00:00Z') },
        {
          Value: 'false',
          Version: 2,
          LastModifiedDate: new Date('2026-11-20T10:05:00Z'),
          LastModifiedUser: 'arn:aws:iam::1:user/oncall',
        },
      ],
    });
    expect(await run(flagState)).toMatchObject({
      status: 'PASS',
      detail: '"false" (version 2, set by arn:aws:iam::1:user/oncall at 2026-11-20 15:35:00 IST)',
    });
    ssm.on(GetParameterHistoryCommand).resolves({ Parameters: [] });
    expect(await run(flagState)).toMatchObject({
      status: 'FAIL',
      detail: '/algo-trading/prod/trading_enabled does not exist',
    });
  });

  describe('database', () => {
    const instance = (status = 'available', latest = '2026-11-23T03:10:00Z') =>
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            DBInstanceIdentifier: 'algo-trading-prod-db',
            DBInstanceStatus: status,
            AllocatedStorage: 100,
            LatestRestorableTime: new Date(latest),
          },
        ],
      });
    const freeGiB = (gib: number) =>
      cloudwatch
        .on(GetMetricStatisticsCommand)
        .resolves({ Datapoints: [{ Minimum: gib * 1024 ** 3 }] });

    it('PASS: available, free storage, restorable to a few minutes ago', async () => {
      instance();
      freeGiB(60);
      expect(await run(databaseHealth)).toMatchObject({
        status: 'PASS',
        detail: 'status available, free 60.0 GiB, restorable to 2026-11-23 08:40:00 IST',
      });
      expect(cloudwatch.commandCalls(GetMetricStatisticsCommand)[0]?.args[0].input).toMatchObject({
        Namespace: 'AWS/RDS',
        MetricName: 'FreeStorageSpace',
        Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'algo-trading-prod-db' }],
      });
    });

    it('FAIL: not available, under 10% free, or restorable only to long ago', async () => {
      instance('storage-full', '2026-11-22T20:00:00Z');
      freeGiB(2);
      const outcome = await run(databaseHealth);
      expect(outcome.status).toBe('FAIL');
      expect(outcome.detail).toBe(
        'status storage-full; free storage 2.0 GiB (<10%); latest restorable time 435 min ago',
      );
    });

    it('FAIL naming the missing permission when RDS denies access', async () => {
      rds
        .on(DescribeDBInstancesCommand)
        .rejects(
          Object.assign(
            new Error(
              'User: arn:aws:sts::1:assumed-role/x/y is not authorized to perform: rds:DescribeDBInstances on resource: arn:aws:rds:ap-south-1:1:db:algo-trading-prod-db',
            ),
            { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } },
          ),
        );
      const [result] = await runChecks([databaseHealth], context(), 1000);
      expect(result?.status).toBe('FAIL');
      expect(result?.detail).toMatch(/^missing permission rds:DescribeDBInstances: /);
    });
  });

  describe('broker-tokens and feed-freshness (asked of a running trading task)', () => {
    const withTask = () =>
      context({
        fleet: {
          ...context().fleet,
          tasks: async () => [{ taskId: 't1', url: 'http://10.0.1.5:8000', status: 'RUNNING' }],
        },
      });

    it('broker-tokens: PASS when every named token is valid past 15:30 IST today', async () => {
      expect(await run(brokerTokens, withTask())).toMatchObject({
        status: 'PASS',
        detail: 'kite connected; 2 token(s) valid past 15:30 IST (PRIMARY, WEBSOCKET1)',
      });
    });

    it('broker-tokens: FAIL for a token that expires before the close, or one that is missing', async () => {
      trading.broker_ = {
        ...trading.broker_,
        tokens: [{ name: 'PRIMARY', expiresAt: '2026-11-23T09:00:00Z' }],
      } as BrokerView;
      expect(await run(brokerTokens, withTask())).toMatchObject({
        status: 'FAIL',
        detail: 'missing: WEBSOCKET1; expire before 15:30 IST: PRIMARY, WEBSOCKET1',
      });
    });

    it('broker-tokens: FAIL with no task to ask', async () => {
      expect(await run(brokerTokens)).toMatchObject({
        status: 'FAIL',
        detail: 'no trading task running to ask the broker',
      });
    });

    it('feed-freshness: PASS fresh; WARN stale before the open; FAIL stale while open', async () => {
      expect((await run(feedFreshness, withTask())).status).toBe('PASS');
      trading.feeds_ = [
        { source: 'kite', status: 'STALE', tick_lag_sec: 45, depth_lag_sec: 50 } as FeedView,
      ];
      expect(await run(feedFreshness, withTask())).toMatchObject({
        status: 'WARN',
        detail: 'kite STALE (tick 45 s, depth 50 s); market closed',
      });
      trading.marketOpen = true;
      expect((await run(feedFreshness, withTask())).status).toBe('FAIL');
    });
  });

  it('errors-since-close: PASS with none, WARN with the count and samples', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    expect((await run(errorsSinceClose)).status).toBe('PASS');
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        {
          timestamp: Date.parse('2026-11-21T04:00:00Z'),
          logStreamName: 'trading/t1',
          message: 'ERROR a',
        },
        {
          timestamp: Date.parse('2026-11-22T04:00:00Z'),
          logStreamName: 'trading/t1',
          message: 'ERROR b',
        },
      ],
    });
    const outcome = await run(errorsSinceClose);
    expect(outcome).toMatchObject({
      status: 'WARN',
      detail: '2 ERROR line(s) since 2026-11-20 15:30:00 IST',
    });
    expect((outcome.data as { samples: unknown[] }).samples).toHaveLength(2);
    expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toMatchObject({
      logGroupName: '/aws/ecs/algo-trading-prod',
      filterPattern: '"ERROR"',
      startTime: Date.parse('2026-11-20T10:00:00Z'),
    });
  });

  describe('egress-ip', () => {
    const withSettings = (settings: Partial<OpsSettings>) => {
      const base = context();
      return { ...base, settings: { ...base.settings, ...settings } };
    };

    it('PASSes when every NAT egress IP is registered', async () => {
      expect(await run(egressIp)).toMatchObject({
        status: 'PASS',
        detail: '13.1.2.3, 13.1.2.4 registered',
      });
    });

    it.each(['PAPER', 'LIVE'] as const)(
      'FAILs in %s naming the egress IP that is not registered',
      async (mode) => {
        const outcome = await run(
          egressIp,
          withSettings({ mode, egressIps: ['13.1.2.3', '52.9.9.9'] }),
        );

        expect(outcome).toMatchObject({
          status: 'FAIL',
          detail:
            'egress IP(s) 52.9.9.9 not registered (registered: 13.1.2.3, 13.1.2.4): the broker refuses orders sent through them',
        });
      },
    );

    it('WARNs in PAPER and FAILs in LIVE when no IP is registered', async () => {
      const paper = await run(egressIp, withSettings({ registeredEgressIps: [] }));
      const live = await run(egressIp, withSettings({ mode: 'LIVE', registeredEgressIps: [] }));

      expect(paper).toMatchObject({
        status: 'WARN',
        detail:
          'no registered egress IPs configured: register 13.1.2.3, 13.1.2.4 with the broker and deploy with -c registeredEgressIps=13.1.2.3,13.1.2.4',
      });
      expect(live).toMatchObject({
        status: 'FAIL',
        detail: expect.stringMatching(/^no registered egress IPs configured: .*a LIVE stage/),
      });
    });

    it('skips in PAPER and FAILs in LIVE when the egress IPs are not known here', async () => {
      expect(await run(egressIp, withSettings({ egressIps: [] }))).toMatchObject({
        status: 'SKIPPED',
      });
      expect(await run(egressIp, withSettings({ mode: 'LIVE', egressIps: [] }))).toMatchObject({
        status: 'FAIL',
        detail: expect.stringMatching(/egress IPs are not known here/),
      });
    });
  });

  it('alb-targets: PASS all healthy, FAIL naming the unhealthy ones or none registered', async () => {
    elb.on(DescribeTargetGroupsCommand, { Names: ['algo-trading-prod-dashboard'] }).resolves({
      TargetGroups: [{ TargetGroupArn: 'arn:aws:elasticloadbalancing:tg/dash' }],
    });
    const health = (...states: Array<[string, string, string?]>) =>
      elb
        .on(DescribeTargetHealthCommand, { TargetGroupArn: 'arn:aws:elasticloadbalancing:tg/dash' })
        .resolves({
          TargetHealthDescriptions: states.map(([id, state, why]) => ({
            Target: { Id: id, Port: 3000 },
            TargetHealth: { State: state as 'healthy', Description: why },
          })),
        });
    health(['10.0.1.5', 'healthy'], ['10.0.2.6', 'healthy']);
    expect(await run(albTargets)).toMatchObject({ status: 'PASS', detail: '2 healthy' });
    health(['10.0.1.5', 'healthy'], ['10.0.2.6', 'unhealthy', 'Health checks failed']);
    expect(await run(albTargets)).toMatchObject({
      status: 'FAIL',
      detail: '1/2 unhealthy: 10.0.2.6:3000 unhealthy Health checks failed',
    });
    health();
    expect(await run(albTargets)).toMatchObject({
      status: 'FAIL',
      detail: 'no registered targets',
    });
  });

  it('holiday-calendar: PASS while the year has the official calendar', async () => {
    expect(await run(holidayCalendar)).toMatchObject({
      status: 'PASS',
      detail: 'session 09:15-15:30 IST, square-off 15:25; NSE list for 2026 from the repository',
    });
  });

  it('holiday-calendar: WARNs on a special session whose hours are provisional (Muhurat 2026)', async () => {
    expect(await run(holidayCalendar, context({ day: '2026-11-08' }))).toMatchObject({
      status: 'WARN',
      detail:
        "session 18:00-19:00 IST, square-off 18:55 (special session: Muhurat Trading, Diwali Laxmi Pujan); these hours are provisional, not yet the exchange's: import its timing circular (tradeops calendar import); settlement holiday (Diwali Laxmi Pujan (Sunday)): trading as usual, no settlement today; NSE list for 2026 from the repository",
    });
    expect((await run(holidayCalendar, context({ day: '2026-02-01' }))).status).toBe('PASS');
  });
});

describe('the check runner', () => {
  const slow = (name: string, ms: number): Check<unknown> => ({
    name,
    severity: 'LOW',
    run: () =>
      new Promise((resolve) => setTimeout(() => resolve({ status: 'PASS', detail: name }), ms)),
  });

  it('runs checks at once: the wall time is the slowest, not the sum', async () => {
    const started = performance.now();
    const results = await runChecks([slow('a', 150), slow('b', 150), slow('c', 150)], {}, 1000);
    const wall = performance.now() - started;
    expect(results.map((r) => r.status)).toEqual(['PASS', 'PASS', 'PASS']);
    // Well under the 450 ms sum, with room for a busy CI machine.
    expect(wall).toBeLessThan(400);
    expect(results.reduce((s, r) => s + r.durationMs, 0)).toBeGreaterThanOrEqual(440);
  });

  it('turns a check that throws or times out into a FAIL that says why, and aborts it', async () => {
    let aborted: unknown;
    const hangs: Check<unknown> = {
      name: 'hangs',
      severity: 'HIGH',
      timeoutMs: 50,
      run: (_ctx, signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
          });
        }),
    };
    const throws: Check<unknown> = {
      name: 'throws',
      severity: 'HIGH',
      run: async () => {
        throw new Error('connection reset');
      },
    };
    const results = await runChecks([hangs, throws, slow('fine', 1)], {}, 1000);
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['hangs', 'FAIL'],
      ['throws', 'FAIL'],
      ['fine', 'PASS'],
    ]);
    expect(results[0]?.detail).toMatch(/check hangs timed out after 50 ms/);
    expect(results[1]?.detail).toMatch(/connection reset/);
    expect(aborted).toBeInstanceOf(Error);
  });

  it('runs steps in order, and a failed step does not stop the next', async () => {
    const order: string[] = [];
    const step = (name: string, fail = false): Check<unknown> => ({
      name,
      severity: 'HIGH',
      run: async () => {
        order.push(name);
        if (fail) throw new Error(`${name} broke`);
        return { status: 'PASS', detail: name };
      },
    });
    const results = await runSteps([step('one'), step('two', true), step('three')], {}, 1000);
    expect(order).toEqual(['one', 'two', 'three']);
    expect(results.map((r) => r.status)).toEqual(['PASS', 'FAIL', 'PASS']);
  });
});

describe('the NSE calendar decides which days a procedure runs (2026 holidays)', () => {
  const noChecks: Check<ChecklistContext>[] = [
    { name: 'ran', severity: 'LOW', run: async () => ({ status: 'PASS', detail: 'ran' }) },
  ];
  const ctx = (): OpsContext => context();

  it.each([
    ['2026-11-24', 'SKIPPED', /NSE holiday: Prakash Gurpurb/],
    ['2026-12-25', 'SKIPPED', /NSE holiday: Christmas/],
    ['2026-11-28', 'SKIPPED', /weekend/],
    ['2026-11-23', 'PASS', /1 passed/],
  ])('%s: %s', async (date, status, summary) => {
    const report = await evaluateChecklist(ctx(), noChecks, {
      procedure: 'evening-checklist',
      date,
      triggeredBy: 'scheduler',
    });
    expect(report.status).toBe(status);
    expect(report.summary).toMatch(summary);
    expect(report.results).toHaveLength(status === 'SKIPPED' ? 0 : 1);
  });

  it('runs on a holiday when forced', async () => {
    const report = await evaluateChecklist(ctx(), noChecks, {
      procedure: 'evening-checklist',
      date: '2026-11-24',
      force: true,
      triggeredBy: 'oncall',
    });
    expect(report.status).toBe('PASS');
  });

  it('runs maintenance only when the market is closed (Saturday yes, Monday no)', async () => {
    const on = (date: string) =>
      evaluateChecklist(ctx(), noChecks, {
        procedure: 'maintenance',
        date,
        runsOn: 'non-trading-days',
        triggeredBy: 'scheduler',
      });
    expect((await on('2026-11-28')).status).toBe('PASS');
    expect((await on('2026-11-23')).summary).toMatch(/is a trading day/);
  });

  it('rejects a date that is not a real YYYY-MM-DD, naming it, before running anything', async () => {
    await expect(runScheduled(ctx(), 'evening-checklist', { date: '2026-02-30' })).rejects.toThrow(
      'Invalid evening-checklist event: date: date must be a real date as YYYY-MM-DD (got "2026-02-30")',
    );
    await expect(runScheduled(ctx(), 'token-check', { force: 'yes' })).rejects.toThrow(/force/);
    await expect(runScheduled(ctx(), 'token-check', { extra: 1 })).rejects.toThrow(/extra/);
  });
});

describe('the readiness gate', () => {
  const failing: ChecklistContext = context();

  beforeEach(() => {
    // Nothing answers: every AWS check fails, so the run is NOT READY.
    ecs.on(DescribeServicesCommand).rejects(new Error('ECS unreachable'));
    ssm.on(GetParametersCommand).resolves({
      Parameters: [{ Name: '/algo-trading/prod/trading_enabled', Value: 'true', Version: 3 }],
    });
    ssm.on(PutParameterCommand).resolves({ Version: 4 });
    sns.on(PublishCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
  });

  it('keeps the flag false and pages when the morning is NOT READY', async () => {
    const ctx = { ...failing, settings: { ...failing.settings, readinessGate: true } };
    const report = await morningChecklist(ctx, { date: DAY, triggeredBy: 'scheduler' });

    expect(report.status).toBe('NOT_READY');
    expect(report.gate).toBe('flag set to false (it was "true")');
    expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toMatchObject({
      Name: '/algo-trading/prod/trading_enabled',
      Value: 'false',
      Overwrite: true,
    });
    const page = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(page?.TopicArn).toBe('arn:aws:sns:ap-south-1:1:page');
    expect(page?.Message).toMatch(/^\[P2\] readiness gate: flag set to false/);
    // No database here: the halt's audit row is spooled under audit-spool/, not lost.
    const spooled = s3
      .commandCalls(PutObjectCommand)
      .map((c) => c.args[0].input)
      .filter((input) => input.Key?.startsWith('audit-spool/'));
    expect(spooled).toHaveLength(1);
    expect(JSON.parse(String(spooled[0]?.Body))).toMatchObject({
      deferredBecause: 'no database access from here',
      entry: { actor: 'readiness-gate', action: 'halt', after: { flag: 'false' } },
    });
  });

  it('without the gate, pages but leaves the flag alone; health-check (gate: false) neither', async () => {
    const report = await morningChecklist(failing, { date: DAY, triggeredBy: 'scheduler' });
    expect(report.status).toBe('NOT_READY');
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.TopicArn).toMatch(/page$/);

    sns.resetHistory();
    const gated = { ...failing, settings: { ...failing.settings, readinessGate: true } };
    const check = await runScheduled(gated, 'morning-checklist', {
      gate: false,
      requestedBy: 'me',
    });
    expect(check).toMatchObject({ procedure: 'readiness', status: 'NOT_READY' });
    expect(check.reportKey).toMatch(/^reports\/readiness\/2026-11-23\/[0-9a-f-]+\.json$/);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.TopicArn).toMatch(/notify$/);
  });
});

describe('snapshots: naming and pruning', () => {
  const prefix = 'algo-trading-prod-backup-';
  const snap = (date: string, status = 'available') => ({
    id: `${prefix}${date.replaceAll('-', '')}`,
    status,
  });

  it('names the day', () => {
    expect(snapshotIdentifier('prod', '2026-11-23')).toBe('algo-trading-prod-backup-20261123');
    expect(() => snapshotIdentifier('prod', '23-11-2026')).toThrow(/YYYY-MM-DD/);
  });

  it('prunes ours older than the retention; never the newest available, today, or foreign ids', () => {
    const snapshots = [
      snap('2026-11-02'),
      snap('2026-11-13'),
      snap('2026-11-16'),
      snap('2026-11-20'),
      snap('2026-11-23', 'creating'),
      { id: `${prefix}manual-before-upgrade`, status: 'available' },
      { id: 'algo-trading-prod-backup-2026112', status: 'available' },
    ];
    const pruned = snapshotsToPrune(snapshots, {
      prefix,
      day: '2026-11-23',
      retentionDays: 7,
      keep: `${prefix}20261123`,
    });
    expect(pruned.map((s) => s.id)).toEqual([`${prefix}20261102`, `${prefix}20261113`]);
  });

  it('keeps the newest available one even when every snapshot is past the retention', () => {
    const pruned = snapshotsToPrune([snap('2026-10-01'), snap('2026-10-02')], {
      prefix,
      day: '2026-11-23',
      retentionDays: 7,
      keep: `${prefix}20261123`,
    });
    expect(pruned.map((s) => s.id)).toEqual([`${prefix}20261001`]);
  });
});

describe('the database backup against a mocked RDS', () => {
  const id = 'algo-trading-prod-backup-20261123';
  const snapshotsOf = (list: Array<[string, string]>) => ({
    DBSnapshots: list.map(([i, status]) => ({
      DBSnapshotIdentifier: i,
      Status: status,
      SnapshotCreateTime: new Date('2026-11-23T11:00:00Z'),
      AllocatedStorage: 100,
    })),
  });

  beforeEach(() => {
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).resolves({});
  });

  it('creates the day’s snapshot, waits until available, and prunes only old ones of ours', async () => {
    const notFound = Object.assign(new Error('DBSnapshot not found'), {
      name: 'DBSnapshotNotFoundFault',
      $metadata: { httpStatusCode: 404 },
    });
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: id })
      .rejectsOnce(notFound)
      .resolvesOnce(snapshotsOf([[id, 'creating']]))
      .resolves(snapshotsOf([[id, 'available']]));
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'algo-trading-prod-db' }).resolves(
      snapshotsOf([
        [id, 'available'],
        ['algo-trading-prod-backup-20261110', 'available'],
        ['algo-trading-prod-backup-20261120', 'available'],
      ]),
    );
    rds.on(CreateDBSnapshotCommand).resolves({});
    rds.on(DeleteDBSnapshotCommand).resolves({});

    const report = await databaseBackup(context({ now: () => AT_1630_IST }), {
      date: DAY,
      triggeredBy: 'scheduler',
    });

    expect(report.results.map((r) => [r.name, r.status])).toEqual([
      ['snapshot', 'PASS'],
      ['verify', 'PASS'],
      ['prune', 'PASS'],
    ]);
    expect(rds.commandCalls(CreateDBSnapshotCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'algo-trading-prod-db',
      DBSnapshotIdentifier: id,
      Tags: [{ Key: 'CreatedBy', Value: 'algo-trading-ops' }],
    });
    expect(
      rds.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier),
    ).toEqual(['algo-trading-prod-backup-20261110']);
  });

  it('is idempotent: a second run finds the snapshot and creates nothing', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves(snapshotsOf([[id, 'available']]));
    const report = await databaseBackup(context({ now: () => AT_1630_IST }), {
      date: DAY,
      triggeredBy: 'scheduler',
    });
    expect(report.results[0]?.detail).toBe(`${id} already exists (available): nothing to create`);
    expect(rds.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);
  });

  it('maintenance skips a trading day and snapshots on Saturday', async () => {
    const report = await maintenance(context(), { date: DAY, triggeredBy: 'scheduler' });
    expect(report.status).toBe('SKIPPED');
    expect(rds.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);
  });
});

describe('RdsDatabaseAdmin', () => {
  const admin = () =>
    new RdsDatabaseAdmin(new RDSClient({}), new CloudWatchClient({}), 'algo-trading-prod-db');

  it('restores to a new instance in the live one’s subnets, security groups and parameter group', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceClass: 'db.r6g.large',
          DBSubnetGroup: { DBSubnetGroupName: 'db-subnets' },
          VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
          DBParameterGroups: [{ DBParameterGroupName: 'pg17' }],
          Endpoint: { Port: 5433 },
        },
      ],
    });
    rds
      .on(RestoreDBInstanceFromDBSnapshotCommand)
      .resolves({ DBInstance: { DBInstanceStatus: 'creating' } });

    const where = await admin().restoreSnapshot(
      'algo-trading-prod-backup-20261120',
      'algo-trading-prod-db-restored-202611231200',
    );

    expect(where).toMatch(/algo-trading-prod-db-restored-202611231200 \(creating/);
    expect(
      rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]?.args[0].input,
    ).toMatchObject({
      DBInstanceIdentifier: 'algo-trading-prod-db-restored-202611231200',
      DBSnapshotIdentifier: 'algo-trading-prod-backup-20261120',
      DBInstanceClass: 'db.r6g.large',
      DBSubnetGroupName: 'db-subnets',
      VpcSecurityGroupIds: ['sg-1'],
      DBParameterGroupName: 'pg17',
      Port: 5433,
      PubliclyAccessible: false,
    });
  });

  it('lists our snapshots across pages and answers undefined for one that does not exist', async () => {
    rds
      .on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'algo-trading-prod-db' })
      .resolvesOnce({
        DBSnapshots: [
          { DBSnapshotIdentifier: 'algo-trading-prod-backup-20261120', Status: 'available' },
        ],
        Marker: 'page-2',
      })
      .resolvesOnce({
        DBSnapshots: [
          { DBSnapshotIdentifier: 'rds:algo-trading-prod-db-2026-11-21', Status: 'available' },
          { DBSnapshotIdentifier: 'algo-trading-prod-backup-20261121', Status: 'creating' },
        ],
      });
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'nope' })
      .rejects(Object.assign(new Error('not found'), { name: 'DBSnapshotNotFoundFault' }));

    const listed = await admin().snapshots('algo-trading-prod-backup-');
    expect(listed.map((s) => [s.id, s.status])).toEqual([
      ['algo-trading-prod-backup-20261120', 'available'],
      ['algo-trading-prod-backup-20261121', 'creating'],
    ]);
    expect(await admin().snapshot('nope')).toBeUndefined();
  });
});

describe('S3 uploads of exports', () => {
  it('puts an upload of one part or less as a single PutObject, create-only when asked', async () => {
    s3.on(PutObjectCommand).resolves({});
    const store = new S3ObjectStore(new S3Client({ region: 'ap-south-1' }), 'bucket');

    const written = await store.upload(
      'records/fills/2026-11-23/fills.csv',
      Readable.from([Buffer.from('a,b\n'), Buffer.from('1,2\n')]),
      'text/csv',
      { ifAbsent: true },
    );

    expect(written).toEqual({ bytes: 8 });
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'bucket',
      Key: 'records/fills/2026-11-23/fills.csv',
      IfNoneMatch: '*',
      ContentType: 'text/csv',
    });
  });

  it('sends a larger upload in 8 MiB parts and completes it with every part in order', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' });
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({
      ETag: `etag-${input.PartNumber}`,
    }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    const store = new S3ObjectStore(new S3Client({ region: 'ap-south-1' }), 'bucket');
    const body = Readable.from(Array.from({ length: 20 }, () => Buffer.alloc(1024 * 1024, 'x')));

    const written = await store.upload('exports/trades/2026-11-23/trades.csv', body, 'text/csv', {
      ifAbsent: true,
    });

    expect(written).toEqual({ bytes: 20 * 1024 * 1024 });
    const sizes = s3
      .commandCalls(UploadPartCommand)
      .map((c) => (c.args[0].input.Body as Buffer).length);
    expect(sizes).toEqual([8 * 1024 * 1024, 8 * 1024 * 1024, 4 * 1024 * 1024]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      UploadId: 'up-2',
      IfNoneMatch: '*',
      MultipartUpload: {
        Parts: [
          { ETag: 'etag-1', PartNumber: 1 },
          { ETag: 'etag-2', PartNumber: 2 },
          { ETag: 'etag-3', PartNumber: 3 },
        ],
      },
    });
  });

  it('aborts the multipart upload when a part fails: nothing appears under the key', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    s3.on(UploadPartCommand).rejects(new Error('connection reset while uploading part'));
    s3.on(AbortMultipartUploadCommand).resolves({});
    const store = new S3ObjectStore(new S3Client({ region: 'ap-south-1' }), 'bucket');
    // Three parts' worth: the upload is multipart.
    const body = Readable.from(Array.from({ length: 20 }, () => Buffer.alloc(1024 * 1024, 'x')));

    await expect(
      store.upload('exports/trades/2026-11-23/trades.csv', body, 'text/csv'),
    ).rejects.toThrow(/connection reset/);
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'bucket',
      Key: 'exports/trades/2026-11-23/trades.csv',
      UploadId: 'up-1',
    });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });
});
