import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  ALARM_SLUGS,
  METRIC_DIMENSIONS,
  METRIC_NAMESPACE,
  OPS_METRICS,
  type OpsMetricName,
  TRADING_METRICS,
  type TradingMetricName,
} from '../../contract/metrics';
import { operatorNames } from '../../contract/names';
import {
  SCHEDULED_PROCEDURE_NAMES,
  type ScheduledProcedureName,
} from '../../contract/scheduled-procedures';
import { constructId } from '../config/construct-id';
import {
  type AlertRoutes,
  RoutedAlarm,
  type RoutedAlarmProps,
  SEVERITIES,
  type Severity,
} from '../constructs/routed-alarm';
import { autoKillAlarmNames } from './ops-stack';
import { StageStack, type StageStackProps } from './stage-stack';

/** RDS's default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000). */
const INSTANCE_MEMORY_GIB: Record<string, number> = {
  micro: 1,
  small: 2,
  medium: 4,
  large: 8,
  xlarge: 16,
  '2xlarge': 32,
};

/** A metric of the trading service (EMF, Stage alone), per minute. */
function tradingMetric(stage: string, metricName: TradingMetricName) {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: { [METRIC_DIMENSIONS.stage]: stage },
    period: Duration.minutes(1),
  });
}

/**
 * A metric of a scheduled procedure's function, with Powertools' dimensions
 * (lambdas/shared/scheduled-handler.ts): summed per 5 minutes.
 */
function procedureMetric(stage: string, name: ScheduledProcedureName, metricName: OpsMetricName) {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: {
      [METRIC_DIMENSIONS.service]: name,
      [METRIC_DIMENSIONS.stage]: stage,
      [METRIC_DIMENSIONS.procedure]: name,
    },
    statistic: 'Sum',
    period: Duration.minutes(5),
  });
}

/** A Container Insights metric of one service, per minute (what the task-count alarms read). */
function containerInsights(cluster: string, service: string, metricName: string) {
  return new cloudwatch.Metric({
    namespace: 'ECS/ContainerInsights',
    metricName,
    dimensionsMap: { ClusterName: cluster, ServiceName: service },
    statistic: 'Average',
    period: Duration.minutes(1),
  });
}

/**
 * An RDS metric by the instance's fixed name: no reference to the stateful data stack, whose
 * exports would pin it.
 */
function databaseMetric(instance: string, metricName: string, statistic: string) {
  return new cloudwatch.Metric({
    namespace: 'AWS/RDS',
    metricName,
    dimensionsMap: { DBInstanceIdentifier: instance },
    statistic,
    period: Duration.minutes(5),
  });
}

export interface MonitoringStackProps extends StageStackProps {
  readonly routes: AlertRoutes;
  /** The operator functions (emergency stop, resume, control, admin), by name. */
  readonly operatorFunctions: Readonly<Record<string, lambda.IFunction>>;
  readonly scheduledFunctions: Readonly<Record<ScheduledProcedureName, lambda.IFunction>>;
  readonly scheduleDeadLetters: sqs.IQueue;
  readonly autoKillDeadLetters: sqs.IQueue;
  /** The dashboard's load balancer and its target group. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly targetGroup: elbv2.IApplicationTargetGroup;
}

type AlarmSpec = Omit<RoutedAlarmProps, 'alarmName'> & { readonly slug: string };

/**
 * Every alarm of product.md's "Alarms and paging", routed by severity, with the composite
 * "safe to trade" over the P1/P2 ones, ECS deployment failures and RDS events on the page topic,
 * and the stage's CloudWatch dashboard.
 */
export class MonitoringStack extends StageStack {
  /** By slug (`algo-trading-<stage>-<slug>`). */
  readonly alarms: Record<string, RoutedAlarm> = {};
  readonly safeToTrade: cloudwatch.CompositeAlarm;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = operatorNames(config.stage);
    const add = (spec: AlarmSpec) => {
      this.alarms[spec.slug] = new RoutedAlarm(
        this,
        constructId(spec.slug),
        { ...spec, alarmName: `${names.prefix}-${spec.slug}` },
        props.routes,
      );
    };
    const service = (
      metricName: TradingMetricName,
      statistic: string,
      period = Duration.minutes(1),
    ) => tradingMetric(config.stage, metricName).with({ statistic, period });
    const procedure = (name: ScheduledProcedureName, metricName: OpsMetricName) =>
      procedureMetric(config.stage, name, metricName);
    const { GREATER_THAN_OR_EQUAL_TO_THRESHOLD: GTE, GREATER_THAN_THRESHOLD: GT } =
      cloudwatch.ComparisonOperator;
    const { LESS_THAN_THRESHOLD: LT } = cloudwatch.ComparisonOperator;
    const { BREACHING, NOT_BREACHING } = cloudwatch.TreatMissingData;

    // ECS: tasks, resources. Container Insights publishes the task counts every minute.
    for (const [svc, severity] of [
      [names.tradingService, 'P1'],
      [names.dashboardService, 'P3'],
    ] as const) {
      const short = svc === names.tradingService ? 'trading' : 'dashboard';
      const insights = (metricName: string) => containerInsights(names.cluster, svc, metricName);
      add({
        slug: `${short}-tasks-below-desired`,
        severity,
        summary: `${svc} runs fewer tasks than desired for 3 minutes${short === 'trading' ? ' (0 in market hours means no one is managing the positions)' : ''}.`,
        runbook: 'tasks-below-desired',
        metric: new cloudwatch.MathExpression({
          expression: 'desired - running',
          usingMetrics: {
            desired: insights('DesiredTaskCount'),
            running: insights('RunningTaskCount'),
          },
          label: 'tasks missing',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        comparisonOperator: GTE,
        evaluationPeriods: 3,
        // No task counts means the service (or its metrics) is gone: for trading, that is an
        // outage to page; the dashboard's absence is not.
        treatMissingData: short === 'trading' ? BREACHING : NOT_BREACHING,
      });
      for (const [metricName, what] of [
        ['CPUUtilization', 'cpu'],
        ['MemoryUtilization', 'memory'],
      ] as const) {
        add({
          slug: `${short}-${what}-high`,
          severity: 'P3',
          summary: `${svc} ${what} above 80% for 15 minutes.`,
          runbook: 'cpu-or-memory-high',
          metric: new cloudwatch.Metric({
            namespace: 'AWS/ECS',
            metricName,
            dimensionsMap: { ClusterName: names.cluster, ServiceName: svc },
            statistic: 'Average',
            period: Duration.minutes(5),
          }),
          threshold: 80,
          comparisonOperator: GT,
          evaluationPeriods: 3,
          treatMissingData: NOT_BREACHING,
        });
      }
    }

    // ALB in front of the dashboard.
    const alb = props.loadBalancer.metrics;
    add({
      slug: 'dashboard-5xx',
      severity: 'P3',
      summary:
        'The dashboard answered 5xx (or the load balancer did) more than 5 times in 5 minutes.',
      runbook: 'dashboard-errors-or-slow',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(target, 0) + FILL(elb, 0)',
        usingMetrics: {
          target: alb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
            period: Duration.minutes(5),
            statistic: 'Sum',
          }),
          elb: alb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
            period: Duration.minutes(5),
            statistic: 'Sum',
          }),
        },
        label: '5xx',
        period: Duration.minutes(5),
      }),
      threshold: 5,
      comparisonOperator: GT,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: 'dashboard-unhealthy-targets',
      severity: 'P3',
      summary: 'A dashboard task fails the load balancer health check for 3 minutes.',
      runbook: 'dashboard-errors-or-slow',
      metric: props.targetGroup.metrics.unhealthyHostCount({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: GTE,
      evaluationPeriods: 3,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: 'dashboard-slow',
      severity: 'P3',
      summary: 'The dashboard p99 response time is above 2 s for 15 minutes.',
      runbook: 'dashboard-errors-or-slow',
      metric: props.targetGroup.metrics.targetResponseTime({
        period: Duration.minutes(5),
        statistic: 'p99',
      }),
      threshold: 2,
      comparisonOperator: GT,
      evaluationPeriods: 3,
      treatMissingData: NOT_BREACHING,
    });

    // RDS.
    const allocatedBytes = config.database.allocatedStorageGiB * 1024 ** 3;
    const size = config.database.instanceClass.split('.')[1] ?? '';
    const maxConnections = Math.min(
      Math.floor(((INSTANCE_MEMORY_GIB[size] ?? 4) * 1024 ** 3) / 9_531_392),
      5000,
    );
    const rdsMetric = (metricName: string, statistic: string) =>
      databaseMetric(names.dbInstance, metricName, statistic);
    add({
      slug: 'db-cpu-high',
      severity: 'P3',
      summary: `${names.dbInstance} CPU above 80% for 15 minutes.`,
      runbook: 'database-cpu-or-memory',
      metric: rdsMetric('CPUUtilization', 'Average'),
      threshold: 80,
      comparisonOperator: GT,
      evaluationPeriods: 3,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: 'db-freeable-memory-low',
      severity: 'P3',
      summary: `${names.dbInstance} freeable memory under 256 MiB for 15 minutes.`,
      runbook: 'database-cpu-or-memory',
      metric: rdsMetric('FreeableMemory', 'Minimum'),
      threshold: 256 * 1024 ** 2,
      comparisonOperator: LT,
      evaluationPeriods: 3,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: 'db-connections-high',
      severity: 'P3',
      summary: `${names.dbInstance} connections above 80% of max_connections (${maxConnections}).`,
      runbook: 'database-connections-high',
      metric: rdsMetric('DatabaseConnections', 'Maximum'),
      threshold: Math.floor(maxConnections * 0.8),
      comparisonOperator: GT,
      evaluationPeriods: 2,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: 'db-free-storage-low',
      severity: 'P2',
      summary: `${names.dbInstance} has under 10% of its ${config.database.allocatedStorageGiB} GiB free: writes (orders) fail when it is full.`,
      runbook: 'database-storage',
      metric: rdsMetric('FreeStorageSpace', 'Minimum'),
      threshold: allocatedBytes * 0.1,
      comparisonOperator: LT,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: 'db-free-storage-trend',
      severity: 'P4',
      summary: `${names.dbInstance} has under 25% of its storage free: plan the growth.`,
      runbook: 'database-storage',
      metric: rdsMetric('FreeStorageSpace', 'Minimum'),
      threshold: allocatedBytes * 0.25,
      comparisonOperator: LT,
      treatMissingData: NOT_BREACHING,
    });

    // Lambda: errors and throttles of every ops function. The operator ones carry the kill.
    const functions: Array<[string, lambda.IFunction, Severity]> = [
      ...Object.entries(props.operatorFunctions).map(
        ([name, fn]) => [name, fn, 'P2'] as [string, lambda.IFunction, Severity],
      ),
      ...Object.entries(props.scheduledFunctions).map(
        ([name, fn]) => [name, fn, 'P3'] as [string, lambda.IFunction, Severity],
      ),
    ];
    for (const [name, fn, severity] of functions) {
      for (const [what, metric] of [
        ['errors', fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' })],
        ['throttles', fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' })],
      ] as const) {
        add({
          slug: `lambda-${name}-${what}`,
          severity,
          summary: `The ${name} function ${what === 'errors' ? 'failed' : 'was throttled'}.`,
          runbook: 'ops-function-errors',
          metric,
          threshold: 1,
          comparisonOperator: GTE,
          treatMissingData: NOT_BREACHING,
        });
      }
    }

    // Dead letters.
    add({
      slug: ALARM_SLUGS.scheduledProcedureFailed,
      severity: 'P2',
      summary:
        'A scheduled procedure (checklist, export, backup, maintenance) failed after its retries or could not be invoked.',
      runbook: 'scheduled-procedure-failed',
      metric: props.scheduleDeadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: GTE,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: ALARM_SLUGS.autoKillFailed,
      severity: 'P1',
      summary:
        'An auto-kill alarm could not run the emergency stop: trading may still be on. Kill by hand now.',
      runbook: 'auto-kill-failed',
      metric: props.autoKillDeadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: GTE,
      treatMissingData: NOT_BREACHING,
    });

    // The trading service's own signals. Gauges are published every minute while a task runs;
    // with no task there is no data, which the tasks-below-desired alarm already pages.
    add({
      slug: ALARM_SLUGS.dailyLossStop,
      severity: 'P1',
      autoKill: true,
      summary: `The daily loss stop (${config.risk.dailyLossStopPct}% of capital) was hit: HARD_HALT. The emergency stop runs automatically.`,
      runbook: 'daily-loss-stop-hit',
      metric: service(TRADING_METRICS.dailyLossStopHit, 'Maximum'),
      threshold: 1,
      comparisonOperator: GTE,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: ALARM_SLUGS.errorRateHigh,
      severity: 'P2',
      summary: 'More than 5% of the trading API requests failed (5xx) over 5 minutes.',
      runbook: 'error-rate-high',
      metric: new cloudwatch.MathExpression({
        // Quiet periods (under 20 requests) are not a rate.
        expression: 'IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)',
        usingMetrics: {
          errors: service(TRADING_METRICS.errors, 'Sum', Duration.minutes(5)),
          requests: service(TRADING_METRICS.requests, 'Sum', Duration.minutes(5)),
        },
        label: 'error rate %',
        period: Duration.minutes(5),
      }),
      threshold: 5,
      comparisonOperator: GT,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: ALARM_SLUGS.feedStale,
      severity: 'P2',
      summary:
        'A market-data feed is stale while the market is open: strategies see old prices and the risk check refuses entries.',
      runbook: 'feed-stale',
      metric: service(TRADING_METRICS.feedStale, 'Maximum'),
      threshold: 1,
      comparisonOperator: GTE,
      evaluationPeriods: 2,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: ALARM_SLUGS.brokerDisconnected,
      severity: 'P2',
      summary: 'The trading service is not connected to the broker for 2 minutes.',
      runbook: 'broker-disconnected',
      metric: service(TRADING_METRICS.brokerConnected, 'Minimum'),
      threshold: 1,
      comparisonOperator: LT,
      evaluationPeriods: 2,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: ALARM_SLUGS.portfolioHeatHigh,
      severity: 'P2',
      summary: `Open risk to the stops is above the ${config.risk.maxPortfolioHeatPct}% portfolio heat cap.`,
      runbook: 'portfolio-heat-high',
      metric: service(TRADING_METRICS.portfolioHeatPct, 'Maximum'),
      threshold: config.risk.maxPortfolioHeatPct,
      comparisonOperator: GT,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: ALARM_SLUGS.orderRejectsSpike,
      severity: 'P3',
      summary: 'More than 20 orders refused (risk or broker) in 5 minutes.',
      runbook: 'order-rejects-spike',
      metric: service(TRADING_METRICS.ordersRejected, 'Sum', Duration.minutes(5)),
      threshold: 20,
      comparisonOperator: GT,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: ALARM_SLUGS.orderRateNearLimit,
      severity: 'P3',
      summary: `Orders per second at 80% of the ${config.risk.maxOrdersPerSecond}/s limit for 3 minutes.`,
      runbook: 'order-rate-near-limit',
      metric: service(TRADING_METRICS.ordersPerSecond, 'Maximum'),
      threshold: Math.ceil(config.risk.maxOrdersPerSecond * 0.8),
      comparisonOperator: GTE,
      evaluationPeriods: 3,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: ALARM_SLUGS.circuitBreakerOpen,
      severity: 'P2',
      summary: 'A circuit breaker (broker, feed) is open for 2 minutes: calls to it are refused.',
      runbook: 'circuit-breaker-open',
      metric: service(TRADING_METRICS.circuitBreakerOpen, 'Maximum'),
      threshold: 1,
      comparisonOperator: GTE,
      evaluationPeriods: 2,
      treatMissingData: NOT_BREACHING,
    });
    add({
      slug: ALARM_SLUGS.flagUnreadable,
      severity: 'P2',
      summary: `The trading service has not read the kill flag for over ${config.trading.flagMaxStalenessSeconds} s: it has halted itself (fail closed).`,
      runbook: 'flag-unreadable',
      metric: service(TRADING_METRICS.flagAgeSeconds, 'Maximum'),
      threshold: config.trading.flagMaxStalenessSeconds,
      comparisonOperator: GT,
      evaluationPeriods: 2,
      treatMissingData: NOT_BREACHING,
    });

    // The procedures. Each reports once a run; no report is no data, not a breach: the deadline
    // check pages when a report is missing.
    const reportAlarm = (
      slug: string,
      severity: Severity,
      summary: string,
      runbook: string,
      metric: cloudwatch.IMetric,
    ) =>
      add({
        slug,
        severity,
        summary,
        runbook,
        metric,
        threshold: 1,
        comparisonOperator: GTE,
        treatMissingData: NOT_BREACHING,
        perRun: true,
      });
    reportAlarm(
      ALARM_SLUGS.morningNotReady,
      'P2',
      'The morning checklist is NOT READY: do not enable trading until it is READY.',
      'morning-not-ready',
      procedure('morning-checklist', OPS_METRICS.checksFailed),
    );
    reportAlarm(
      ALARM_SLUGS.checklistMissing,
      'P2',
      "A scheduled procedure did not report by its deadline (09:05 IST: today's token check and morning checklist, the previous trading day's evening checklist, export and backup).",
      'checklist-missing',
      procedure('deadline-check', OPS_METRICS.checksFailed),
    );
    // Who watches the watcher: no deadline check for 3 days (a weekend and a day) is breaching.
    add({
      slug: ALARM_SLUGS.deadlineCheckSilent,
      severity: 'P3',
      summary:
        'The 09:05 deadline check has not reported for 3 days: the schedules may not be firing at all.',
      runbook: 'checklist-missing',
      metric: procedure('deadline-check', OPS_METRICS.procedureCompleted).with({
        period: Duration.hours(1),
      }),
      threshold: 1,
      comparisonOperator: LT,
      evaluationPeriods: 72,
      treatMissingData: BREACHING,
    });
    reportAlarm(
      ALARM_SLUGS.tokenExpiring,
      'P2',
      "A broker token expires before today's 15:30 IST close (or is missing): renew it before the open.",
      'token-expiring',
      procedure('token-check', OPS_METRICS.checksFailed),
    );
    reportAlarm(
      ALARM_SLUGS.eveningChecklistFailed,
      'P3',
      'The evening checklist FAILed (not flat, not reconciled, not exported or backed up, or errors).',
      'evening-checklist-failed',
      procedure('evening-checklist', OPS_METRICS.checksFailed),
    );
    for (const [slug, name] of [
      [ALARM_SLUGS.exportFailed, 'trade-export'],
      [ALARM_SLUGS.backupFailed, 'database-backup'],
    ] as const) {
      reportAlarm(
        slug,
        'P3',
        `The ${name} did not complete: a step failed or the run threw.`,
        slug,
        new cloudwatch.MathExpression({
          expression: 'FILL(failed, 0) + FILL(threw, 0)',
          usingMetrics: {
            failed: procedure(name, OPS_METRICS.checksFailed),
            threw: procedure(name, OPS_METRICS.procedureFailed),
          },
          label: `${name} failures`,
          period: Duration.minutes(5),
        }),
      );
    }

    for (const name of autoKillAlarmNames(config.stage)) {
      const alarm = Object.values(this.alarms).find((a) => a.name === name);
      if (!alarm?.autoKill) throw new Error(`auto-kill alarm ${name} is not defined as auto-kill`);
    }

    // Deployments: ECS's circuit breaker rolls a failed deployment back; say so.
    new events.Rule(this, 'DeploymentFailed', {
      ruleName: `${names.prefix}-deployment-failed`,
      description: 'P2: an ECS deployment of a service failed (rolled back by the circuit breaker)',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
        resources: events.Match.prefix(
          `arn:aws:ecs:${this.region}:${this.account}:service/${names.cluster}/`,
        ),
      },
      targets: [
        new targets.SnsTopic(props.routes.page, {
          message: events.RuleTargetInput.fromText(
            `P2: ECS deployment failed: ${events.EventField.fromPath('$.resources[0]')} (${events.EventField.fromPath('$.detail.reason')}). Runbook: docs/RUNBOOK.md#deployment-failed`,
          ),
        }),
      ],
    });
    // RDS: failover, failure, stops and low storage, straight from RDS.
    new rds.CfnEventSubscription(this, 'DatabaseEvents', {
      subscriptionName: `${names.prefix}-db-events`,
      snsTopicArn: props.routes.page.topicArn,
      sourceType: 'db-instance',
      sourceIds: [names.dbInstance],
      eventCategories: ['availability', 'failover', 'failure', 'low storage'],
      enabled: true,
    });

    // A rolling deployment runs two deployments at once: the composite stays quiet meanwhile.
    const deploying = new cloudwatch.Alarm(this, 'TradingDeploying', {
      alarmName: `${names.prefix}-trading-deploying`,
      alarmDescription:
        'P4 (information): a deployment of the trading service is in progress; it suppresses the safe-to-trade actions. Runbook: docs/RUNBOOK.md#deploy-and-rollback',
      metric: containerInsights(names.cluster, names.tradingService, 'DeploymentCount').with({
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: GT,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    deploying.addAlarmAction(new actions.SnsAction(props.routes.notify));
    deploying.addOkAction(new actions.SnsAction(props.routes.notify));

    // The continuous P1/P2 signals: a per-run report alarm clears itself minutes later, so in the
    // composite it would say "safe" again while its problem stands (the readiness gate and the
    // page carry those).
    const urgent = Object.values(this.alarms).filter(
      (a) => SEVERITIES[a.severity].route === 'page' && !a.perRun,
    );
    this.safeToTrade = new cloudwatch.CompositeAlarm(this, 'SafeToTrade', {
      compositeAlarmName: `${names.prefix}-${ALARM_SLUGS.safeToTrade}`,
      alarmDescription:
        'Not safe to trade: a continuous P1 or P2 alarm is in ALARM (each one pages on its own). OK again means every one of them is clear; the per-run report alarms (morning NOT READY, checklist missing, token) are not part of it. Runbook: docs/RUNBOOK.md#safe-to-trade',
      alarmRule: cloudwatch.AlarmRule.anyOf(
        ...urgent.map((a) => cloudwatch.AlarmRule.fromAlarm(a.alarm, cloudwatch.AlarmState.ALARM)),
      ),
      actionsSuppressor: deploying,
      actionsSuppressorWaitPeriod: Duration.minutes(2),
      actionsSuppressorExtensionPeriod: Duration.minutes(5),
    });
    this.safeToTrade.addAlarmAction(new actions.SnsAction(props.routes.notify));
    this.safeToTrade.addOkAction(new actions.SnsAction(props.routes.notify));

    this.dashboard = this.buildDashboard(props);
  }

  private buildDashboard(props: MonitoringStackProps) {
    const names = operatorNames(props.config.stage);
    const m = (metricName: TradingMetricName, statistic = 'Maximum') =>
      tradingMetric(props.config.stage, metricName).with({ statistic });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    const insights = (svc: string, metricName: string) =>
      containerInsights(names.cluster, svc, metricName).with({ label: `${svc} ${metricName}` });
    const proc = (name: ScheduledProcedureName) =>
      procedureMetric(props.config.stage, name, OPS_METRICS.checksFailed).with({
        period: Duration.hours(1),
        label: name,
      });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: names.prefix,
      defaultInterval: Duration.hours(12),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${names.prefix}\nMode **${props.config.mode}**. Kill: \`npx tradeops kill ${props.config.stage} --reason "..."\`. Runbook: docs/RUNBOOK.md`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms (safe to trade first)',
        alarms: [this.safeToTrade, ...Object.values(this.alarms).map((a) => a.alarm)],
        width: 24,
        height: 6,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: 'Trading state (0 ACTIVE, 1 PAUSED, 2 HALTED, 3 HARD_HALT) and flag',
        metrics: [
          m(TRADING_METRICS.tradingState),
          m(TRADING_METRICS.flagEnabled),
          m(TRADING_METRICS.flagAgeSeconds),
        ],
        width: 8,
        height: 6,
      }),
      graph('P&L (INR)', [
        m(TRADING_METRICS.dailyPnlInr),
        m(TRADING_METRICS.realizedPnlInr),
        m(TRADING_METRICS.unrealizedPnlInr),
      ]),
      new cloudwatch.GraphWidget({
        title: 'Portfolio heat and daily P&L, % of capital',
        left: [m(TRADING_METRICS.portfolioHeatPct), m(TRADING_METRICS.dailyPnlPct)],
        leftAnnotations: [
          { value: props.config.risk.maxPortfolioHeatPct, label: 'heat cap', color: '#d62728' },
          { value: -props.config.risk.dailyLossStopPct, label: 'loss stop', color: '#d62728' },
        ],
        width: 8,
        height: 6,
      }),
    );
    dashboard.addWidgets(
      graph('Orders, fills and rejects', [
        m(TRADING_METRICS.ordersSubmitted, 'Sum'),
        m(TRADING_METRICS.fills, 'Sum'),
        m(TRADING_METRICS.ordersRejected, 'Sum'),
      ]),
      graph(`Orders per second (limit ${props.config.risk.maxOrdersPerSecond})`, [
        m(TRADING_METRICS.ordersPerSecond),
      ]),
      graph('Feed lag (s), stale, broker connected', [
        m(TRADING_METRICS.feedLagSeconds),
        m(TRADING_METRICS.feedStale),
        m(TRADING_METRICS.brokerConnected, 'Minimum'),
        m(TRADING_METRICS.circuitBreakerOpen),
      ]),
    );
    dashboard.addWidgets(
      graph('ECS tasks running / desired', [
        insights(names.tradingService, 'RunningTaskCount'),
        insights(names.tradingService, 'DesiredTaskCount'),
        insights(names.dashboardService, 'RunningTaskCount'),
      ]),
      graph('RDS CPU % and connections', [
        databaseMetric(names.dbInstance, 'CPUUtilization', 'Average'),
        databaseMetric(names.dbInstance, 'DatabaseConnections', 'Maximum'),
      ]),
      graph('RDS free storage (bytes)', [
        databaseMetric(names.dbInstance, 'FreeStorageSpace', 'Minimum'),
      ]),
    );
    dashboard.addWidgets(
      graph('Checklists: failed checks per run', SCHEDULED_PROCEDURE_NAMES.map(proc), 24),
    );
    return dashboard;
  }
}
