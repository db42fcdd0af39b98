import { Template } from 'aws-cdk-lib/assertions';
import { SCHEDULED_PROCEDURE_NAMES } from '../../contract/scheduled-procedures';
import { autoKillAlarmNames } from '../../lib/stacks/ops-stack';
import { expectStackSnapshot } from './snapshot';
import { buildStage } from './synth';

interface AlarmProps {
  AlarmName: string;
  AlarmDescription: string;
  MetricName?: string;
  Namespace?: string;
  Period?: number;
  Metrics?: Array<{
    Expression?: string;
    MetricStat?: { Metric: { MetricName: string }; Period: number };
  }>;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  TreatMissingData: string;
  AlarmActions?: unknown[];
  OKActions?: unknown[];
}

const OPERATOR = ['emergency-stop', 'resume-trading', 'control', 'admin'];

/**
 * The alarm table of issue 6 as data: name, what it watches (metric or expression), threshold,
 * period (s), comparison, evaluation periods, severity and missing-data treatment.
 */
const EXPECTED: Array<[string, string, number, number, string, number, string, string]> = [
  ['trading-tasks-below-desired', 'desired - running', 1, 60, '>=', 3, 'P1', 'breaching'],
  ['dashboard-tasks-below-desired', 'desired - running', 1, 60, '>=', 3, 'P3', 'notBreaching'],
  ['trading-cpu-high', 'CPUUtilization', 80, 300, '>', 3, 'P3', 'notBreaching'],
  ['trading-memory-high', 'MemoryUtilization', 80, 300, '>', 3, 'P3', 'notBreaching'],
  ['dashboard-cpu-high', 'CPUUtilization', 80, 300, '>', 3, 'P3', 'notBreaching'],
  ['dashboard-memory-high', 'MemoryUtilization', 80, 300, '>', 3, 'P3', 'notBreaching'],
  ['dashboard-5xx', 'FILL(target, 0) + FILL(elb, 0)', 5, 300, '>', 1, 'P3', 'notBreaching'],
  ['dashboard-unhealthy-targets', 'UnHealthyHostCount', 1, 60, '>=', 3, 'P3', 'notBreaching'],
  ['dashboard-slow', 'TargetResponseTime', 2, 300, '>', 3, 'P3', 'notBreaching'],
  ['db-cpu-high', 'CPUUtilization', 80, 300, '>', 3, 'P3', 'notBreaching'],
  ['db-freeable-memory-low', 'FreeableMemory', 256 * 1024 ** 2, 300, '<', 3, 'P3', 'notBreaching'],
  // m7g.large: 8 GiB / 9531392 = 901 connections; 80% of it.
  ['db-connections-high', 'DatabaseConnections', 720, 300, '>', 2, 'P3', 'notBreaching'],
  ['db-free-storage-low', 'FreeStorageSpace', 10 * 1024 ** 3, 300, '<', 1, 'P2', 'notBreaching'],
  ['db-free-storage-trend', 'FreeStorageSpace', 25 * 1024 ** 3, 300, '<', 1, 'P4', 'notBreaching'],
  ...[...OPERATOR, ...SCHEDULED_PROCEDURE_NAMES].flatMap(
    (name) =>
      [
        [`lambda-${name}-errors`, 'Errors', 1, 300, '>=', 1, severityOf(name), 'notBreaching'],
        [
          `lambda-${name}-throttles`,
          'Throttles',
          1,
          300,
          '>=',
          1,
          severityOf(name),
          'notBreaching',
        ],
      ] as Array<[string, string, number, number, string, number, string, string]>,
  ),
  [
    'scheduled-procedure-failed',
    'ApproximateNumberOfMessagesVisible',
    1,
    300,
    '>=',
    1,
    'P2',
    'notBreaching',
  ],
  ['auto-kill-failed', 'ApproximateNumberOfMessagesVisible', 1, 60, '>=', 1, 'P1', 'notBreaching'],
  ['daily-loss-stop', 'DailyLossStopHit', 1, 60, '>=', 1, 'P1', 'notBreaching'],
  [
    'error-rate-high',
    'IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)',
    5,
    300,
    '>',
    1,
    'P2',
    'notBreaching',
  ],
  ['feed-stale', 'FeedStale', 1, 60, '>=', 2, 'P2', 'notBreaching'],
  ['broker-disconnected', 'BrokerConnected', 1, 60, '<', 2, 'P2', 'notBreaching'],
  ['broker-token-invalid', 'BrokerTokenValid', 1, 60, '<', 1, 'P1', 'notBreaching'],
  ['portfolio-heat-high', 'PortfolioHeatPct', 2, 60, '>', 1, 'P2', 'notBreaching'],
  ['order-rejects-spike', 'OrdersRejected', 20, 300, '>', 1, 'P3', 'notBreaching'],
  // 80% of the client's 8/s, rounded up (the threshold is derived from the limit).
  ['order-rate-near-limit', 'OrdersPerSecond', 7, 60, '>=', 3, 'P3', 'notBreaching'],
  ['circuit-breaker-open', 'CircuitBreakerOpen', 1, 60, '>=', 2, 'P2', 'notBreaching'],
  ['flag-unreadable', 'FlagAgeSeconds', 5, 60, '>', 2, 'P2', 'notBreaching'],
  ['morning-not-ready', 'ChecksFailed', 1, 300, '>=', 1, 'P2', 'notBreaching'],
  ['checklist-missing', 'ChecksFailed', 1, 300, '>=', 1, 'P2', 'notBreaching'],
  ['token-expiring', 'ChecksFailed', 1, 300, '>=', 1, 'P2', 'notBreaching'],
  ['deadline-check-silent', 'ProcedureCompleted', 1, 3600, '<', 72, 'P3', 'breaching'],
  ['evening-checklist-failed', 'ChecksFailed', 1, 300, '>=', 1, 'P3', 'notBreaching'],
  ['export-failed', 'FILL(failed, 0) + FILL(threw, 0)', 1, 300, '>=', 1, 'P3', 'notBreaching'],
  ['records-failed', 'FILL(failed, 0) + FILL(threw, 0)', 1, 300, '>=', 1, 'P3', 'notBreaching'],
  ['backup-failed', 'FILL(failed, 0) + FILL(threw, 0)', 1, 300, '>=', 1, 'P3', 'notBreaching'],
];

/** Alarms on one report per run: no OK action, not in the composite. */
const PER_RUN = [
  'morning-not-ready',
  'checklist-missing',
  'token-expiring',
  'evening-checklist-failed',
  'export-failed',
  'records-failed',
  'backup-failed',
];

function severityOf(fn: string): string {
  return OPERATOR.includes(fn) ? 'P2' : 'P3';
}

const COMPARISON: Record<string, string> = {
  '>=': 'GreaterThanOrEqualToThreshold',
  '>': 'GreaterThanThreshold',
  '<': 'LessThanThreshold',
};

describe('monitoring stack (prod)', () => {
  const { stacks, config } = buildStage({ stage: 'prod', account: '123456789012' });
  const monitoring = Template.fromStack(stacks.monitoring);
  const ops = Template.fromStack(stacks.ops);
  const alarms = Object.values(monitoring.findResources('AWS::CloudWatch::Alarm')).map(
    (r) => r.Properties as AlarmProps,
  );
  const byName = new Map(alarms.map((a) => [a.AlarmName.replace('algo-trading-prod-', ''), a]));
  const topicOf = (a: { AlarmActions?: unknown[] }) =>
    JSON.stringify(a.AlarmActions).includes('PageTopic') ? 'page' : 'notify';

  it.each(EXPECTED)(
    '%s watches %s, threshold %d, period %d s, %s, %d period(s), %s, missing data %s',
    (slug, watched, threshold, period, comparison, evaluations, severity, missing) => {
      const a = byName.get(slug);
      if (!a) throw new Error(`no alarm ${slug}`);
      const expression = a.Metrics?.find((m) => m.Expression)?.Expression;
      expect(expression ?? a.MetricName).toBe(watched);
      expect(a.Period ?? a.Metrics?.find((m) => m.MetricStat)?.MetricStat?.Period).toBe(period);
      expect(a.Threshold).toBe(threshold);
      expect(a.ComparisonOperator).toBe(COMPARISON[comparison]);
      expect(a.EvaluationPeriods).toBe(evaluations);
      expect(a.DatapointsToAlarm).toBe(evaluations);
      expect(a.TreatMissingData).toBe(missing);
      expect(a.AlarmDescription.startsWith(severity)).toBe(true);
      // Severity decides the route, on ALARM and on OK alike.
      expect(topicOf(a)).toBe(severity === 'P1' || severity === 'P2' ? 'page' : 'notify');
      // A per-run report alarm clears itself: its OK would say nothing.
      expect(a.OKActions).toEqual(PER_RUN.includes(slug) ? undefined : a.AlarmActions);
    },
  );

  it('has no alarm outside the table but the deployment-in-progress suppressor', () => {
    const extra = [...byName.keys()].filter((n) => !EXPECTED.some(([slug]) => slug === n));
    expect(extra).toEqual(['trading-deploying']);
    expect(config.trading.flagMaxStalenessSeconds).toBe(5);
  });

  it('has no alarm without an action, in any stack', () => {
    for (const stack of Object.values(stacks)) {
      const template = Template.fromStack(stack);
      for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']) {
        for (const [id, r] of Object.entries(template.findResources(type))) {
          expect([id, (r.Properties.AlarmActions ?? []).length > 0]).toEqual([id, true]);
        }
      }
    }
  });

  it('watches the metrics with the dimensions their publishers use', () => {
    const ready = byName.get('morning-not-ready');
    expect(ready).toMatchObject({
      Namespace: 'AlgoTrading',
      Dimensions: expect.arrayContaining([
        { Name: 'service', Value: 'morning-checklist' },
        { Name: 'Stage', Value: 'prod' },
        { Name: 'Procedure', Value: 'morning-checklist' },
      ]),
    });
    expect(byName.get('feed-stale')).toMatchObject({
      Dimensions: [{ Name: 'Stage', Value: 'prod' }],
    });
    const tasks = byName.get('trading-tasks-below-desired');
    expect(JSON.stringify(tasks?.Metrics)).toContain('ECS/ContainerInsights');
    expect(JSON.stringify(tasks?.Metrics)).toContain('algo-trading-prod-trading');
  });

  it('marks the auto-kill alarms, and the ops stack runs the emergency stop for exactly those', () => {
    const autoKill = alarms
      .filter((a) => a.AlarmDescription.includes('AUTO-KILL'))
      .map((a) => a.AlarmName);
    expect(autoKill).toEqual(autoKillAlarmNames('prod'));
    const [rule] = Object.values(
      ops.findResources('AWS::Events::Rule', {
        Properties: { EventPattern: { source: ['aws.cloudwatch'] } },
      }),
    );
    expect(rule?.Properties.EventPattern.detail.alarmName).toEqual(autoKill);
  });

  it('composes safe-to-trade from every P1/P2 alarm, suppressed during deployments', () => {
    const [composite] = Object.values(monitoring.findResources('AWS::CloudWatch::CompositeAlarm'));
    const props = composite?.Properties;
    expect(props.AlarmName).toBe('algo-trading-prod-safe-to-trade');
    const rule = JSON.stringify(props.AlarmRule);
    const urgent = alarms.filter((a) => /^P[12]/.test(a.AlarmDescription));
    expect(urgent.length).toBeGreaterThan(15);
    for (const a of alarms) {
      const logicalId = Object.entries(monitoring.findResources('AWS::CloudWatch::Alarm')).find(
        ([, r]) => r.Properties.AlarmName === a.AlarmName,
      )?.[0];
      const perRun = PER_RUN.some((slug) => a.AlarmName === `algo-trading-prod-${slug}`);
      expect([a.AlarmName, rule.includes(`${logicalId}`)]).toEqual([
        a.AlarmName,
        /^P[12]/.test(a.AlarmDescription) && !perRun,
      ]);
    }
    expect(rule.startsWith('{"Fn::Join":["",["(ALARM(')).toBe(true);
    expect(rule).toContain(' OR ');
    expect(JSON.stringify(props.ActionsSuppressor)).toContain('TradingDeploying');
    expect(props.ActionsSuppressorWaitPeriod).toBe(120);
    expect(props.ActionsSuppressorExtensionPeriod).toBe(300);
    expect(topicOf(props)).toBe('notify');
    expect(props.OKActions).toEqual(props.AlarmActions);
  });

  it('pages ECS deployment failures and RDS failover/failure events', () => {
    monitoring.hasResourceProperties('AWS::Events::Rule', {
      Name: 'algo-trading-prod-deployment-failed',
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Deployment State Change'],
        detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
      },
    });
    monitoring.hasResourceProperties('AWS::RDS::EventSubscription', {
      SourceType: 'db-instance',
      SourceIds: ['algo-trading-prod-db'],
      EventCategories: ['availability', 'failover', 'failure', 'low storage'],
    });
    // RDS may publish to the encrypted topics, and so may this stage's alarms (a topic policy
    // replaces SNS's default one, so without it no alarm would reach anyone).
    const trading = Template.fromStack(stacks.trading);
    const policies = Object.values(trading.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      const statements = policy.Properties.PolicyDocument.Statement as Array<{
        Sid?: string;
        Principal?: { Service?: string };
        Condition?: unknown;
      }>;
      const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
      expect(bySid.RdsEventsPublish?.Principal).toEqual({ Service: 'events.rds.amazonaws.com' });
      expect(bySid.CloudWatchAlarmsPublish).toMatchObject({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Condition: {
          ArnLike: {
            'aws:SourceArn': expect.stringContaining(':alarm:algo-trading-prod-*'),
          },
        },
      });
    }
  });

  it('builds the stage dashboard with state, P&L, orders, feeds, ECS/RDS, checklists and alarms', () => {
    const [dashboard] = Object.values(monitoring.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard?.Properties.DashboardName).toBe('algo-trading-prod');
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const needle of [
      'TradingState',
      'FlagEnabled',
      'DailyPnlInr',
      'PortfolioHeatPct',
      'OrdersRejected',
      'FeedLagSeconds',
      'RunningTaskCount',
      'FreeStorageSpace',
      'ChecksFailed',
      'alarm',
    ]) {
      expect([needle, body.includes(needle)]).toEqual([needle, true]);
    }
  });

  it('matches the monitoring snapshot', () => {
    expectStackSnapshot(stacks.monitoring);
  });
});
