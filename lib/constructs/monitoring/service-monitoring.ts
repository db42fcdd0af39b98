import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { containerInsights, graph } from './metrics';
import { MonitoringSegment, type MonitoringSegmentProps } from './segment';

export interface ServiceMonitoringProps extends MonitoringSegmentProps {
  /** The ECS cluster (`algo-trading-<stage>-cluster`). */
  readonly clusterName: string;
  /** The trading service: missing tasks page (P1). */
  readonly tradingServiceName: string;
  /** The dashboard service: missing tasks notify (P3). */
  readonly dashboardServiceName: string;
}

/**
 * The ECS services: tasks below desired, CPU and memory per service; failed deployments paged;
 * the "trading deploying" alarm that quiets the safe-to-trade composite during a rollout; and
 * the tasks graph.
 */
export class ServiceMonitoring extends MonitoringSegment {
  /** In ALARM while a deployment of the trading service runs (the composite's suppressor). */
  readonly tradingDeploying: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ServiceMonitoringProps) {
    super(scope, id, props);
    const { clusterName: cluster, tradingServiceName, dashboardServiceName } = props;
    const { GREATER_THAN_OR_EQUAL_TO_THRESHOLD: GTE, GREATER_THAN_THRESHOLD: GT } =
      cloudwatch.ComparisonOperator;
    const { BREACHING, NOT_BREACHING } = cloudwatch.TreatMissingData;

    // Container Insights publishes the task counts every minute.
    for (const [svc, severity] of [
      [tradingServiceName, 'P1'],
      [dashboardServiceName, 'P3'],
    ] as const) {
      const short = svc === tradingServiceName ? 'trading' : 'dashboard';
      const insights = (metricName: string) => containerInsights(cluster, svc, metricName);
      this.addAlarm({
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
        this.addAlarm({
          slug: `${short}-${what}-high`,
          severity: 'P3',
          summary: `${svc} ${what} above 80% for 15 minutes.`,
          runbook: 'cpu-or-memory-high',
          metric: new cloudwatch.Metric({
            namespace: 'AWS/ECS',
            metricName,
            dimensionsMap: { ClusterName: cluster, ServiceName: svc },
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

    // ECS's circuit breaker rolls a failed deployment back; say so.
    const { region, account } = Stack.of(this);
    new events.Rule(this, 'DeploymentFailed', {
      ruleName: `${props.alarmNamePrefix}-deployment-failed`,
      description: 'P2: an ECS deployment of a service failed (rolled back by the circuit breaker)',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
        resources: events.Match.prefix(`arn:aws:ecs:${region}:${account}:service/${cluster}/`),
      },
      targets: [
        new targets.SnsTopic(props.routes.page, {
          message: events.RuleTargetInput.fromText(
            `P2: ECS deployment failed: ${events.EventField.fromPath('$.resources[0]')} (${events.EventField.fromPath('$.detail.reason')}). Runbook: docs/RUNBOOK.md#deployment-failed`,
          ),
        }),
      ],
    });

    // A rolling deployment runs two deployments at once: the composite stays quiet meanwhile.
    this.tradingDeploying = new cloudwatch.Alarm(this, 'TradingDeploying', {
      alarmName: `${props.alarmNamePrefix}-trading-deploying`,
      alarmDescription:
        'P4 (information): a deployment of the trading service is in progress; it suppresses the safe-to-trade actions. Runbook: docs/RUNBOOK.md#deploy-and-rollback',
      metric: containerInsights(cluster, tradingServiceName, 'DeploymentCount').with({
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: GT,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.tradingDeploying.addAlarmAction(new actions.SnsAction(props.routes.notify));
    this.tradingDeploying.addOkAction(new actions.SnsAction(props.routes.notify));

    const running = (svc: string, metricName: string) =>
      containerInsights(cluster, svc, metricName).with({ label: `${svc} ${metricName}` });
    this.widgets.push(
      graph('ECS tasks running / desired', [
        running(tradingServiceName, 'RunningTaskCount'),
        running(tradingServiceName, 'DesiredTaskCount'),
        running(dashboardServiceName, 'RunningTaskCount'),
      ]),
    );
  }
}
