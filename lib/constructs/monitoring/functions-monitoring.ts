import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { Severity } from '../routed-alarm';
import { MonitoringSegment, type MonitoringSegmentProps } from './segment';

export interface FunctionsMonitoringProps extends MonitoringSegmentProps {
  /** The functions, by the name their alarms carry (`lambda-<name>-errors`). */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The severity of every alarm of these functions (P2 for the ones that carry the kill). */
  readonly severity: Severity;
}

/**
 * Lambda functions of one severity: an alarm on any error and on any throttle of each, per 5
 * minutes. No widget of its own: its alarms show in the stage's alarm status.
 */
export class FunctionsMonitoring extends MonitoringSegment {
  constructor(scope: Construct, id: string, props: FunctionsMonitoringProps) {
    super(scope, id, props);
    for (const [name, fn] of Object.entries(props.functions)) {
      for (const [what, metric] of [
        ['errors', fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' })],
        ['throttles', fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' })],
      ] as const) {
        this.addAlarm({
          slug: `lambda-${name}-${what}`,
          severity: props.severity,
          summary: `The ${name} function ${what === 'errors' ? 'failed' : 'was throttled'}.`,
          runbook: 'ops-function-errors',
          metric,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }
    }
  }
}
