import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import { MonitoringSegment, type MonitoringSegmentProps } from './segment';

export interface LoadBalancerMonitoringProps extends MonitoringSegmentProps {
  /** The dashboard's load balancer. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Its target group (the dashboard tasks). */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
}

/**
 * The load balancer in front of the dashboard: 5xx, unhealthy targets, p99 latency (all P3: the
 * dashboard is not in the trading path). No widget of its own: its alarms show in the stage's
 * alarm status.
 */
export class LoadBalancerMonitoring extends MonitoringSegment {
  constructor(scope: Construct, id: string, props: LoadBalancerMonitoringProps) {
    super(scope, id, props);
    const { GREATER_THAN_OR_EQUAL_TO_THRESHOLD: GTE, GREATER_THAN_THRESHOLD: GT } =
      cloudwatch.ComparisonOperator;
    const { NOT_BREACHING } = cloudwatch.TreatMissingData;
    const alb = props.loadBalancer.metrics;
    this.addAlarm({
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
    this.addAlarm({
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
    this.addAlarm({
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
  }
}
