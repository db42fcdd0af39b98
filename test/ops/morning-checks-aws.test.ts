import {
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
} from '@aws-sdk/client-cloudwatch';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { GetParameterHistoryCommand } from '@aws-sdk/client-ssm';
import { runChecks } from '../../services/ops/checks/framework';
import {
  alarmsNow,
  alarmsOvernight,
  albTargets,
  databaseHealth,
  errorsSinceClose,
  flagState,
  servicesRunning,
} from '../../services/ops/checks/morning-checks';
import {
  cloudwatch,
  context,
  ecs,
  elb,
  logs,
  rds,
  resetAwsOpsFixtures,
  run,
  ssm,
} from './aws-ops-fixtures';

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

beforeEach(resetAwsOpsFixtures);

// The morning checks that read AWS: ECS, CloudWatch alarms and logs, the flag in SSM, RDS, the ALB.
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
});
