import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  METRIC_DIMENSIONS,
  METRIC_NAMESPACE,
  type OpsMetricName,
  type TradingMetricName,
} from '../../../contract/metrics';
import type { ScheduledProcedureName } from '../../../contract/scheduled-procedures';

/** A metric of the trading service (EMF, Stage alone), per minute. */
export function tradingMetric(stage: string, metricName: TradingMetricName): cloudwatch.Metric {
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
export function procedureMetric(
  stage: string,
  procedure: ScheduledProcedureName,
  metricName: OpsMetricName,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: {
      [METRIC_DIMENSIONS.service]: procedure,
      [METRIC_DIMENSIONS.stage]: stage,
      [METRIC_DIMENSIONS.procedure]: procedure,
    },
    statistic: 'Sum',
    period: Duration.minutes(5),
  });
}

/** A Container Insights metric of one service, per minute (what the task-count alarms read). */
export function containerInsights(
  cluster: string,
  service: string,
  metricName: string,
): cloudwatch.Metric {
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
export function databaseMetric(
  instance: string,
  metricName: string,
  statistic: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/RDS',
    metricName,
    dimensionsMap: { DBInstanceIdentifier: instance },
    statistic,
    period: Duration.minutes(5),
  });
}

/** A graph of the stage dashboard: 6 high, a third of the width unless said. */
export function graph(
  title: string,
  left: cloudwatch.IMetric[],
  width = 8,
): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, width, height: 6 });
}
