import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { databaseMetric, graph } from './metrics';
import { MonitoringSegment, type MonitoringSegmentProps } from './segment';

/** RDS's default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000). */
const INSTANCE_MEMORY_GIB: Record<string, number> = {
  micro: 1,
  small: 2,
  medium: 4,
  large: 8,
  xlarge: 16,
  '2xlarge': 32,
};

export interface DatabaseMonitoringProps extends MonitoringSegmentProps {
  /**
   * The instance's fixed name (`algo-trading-<stage>-db`): watched by name, not by reference, so
   * that the stateful data stack exports nothing to monitoring.
   */
  readonly instanceIdentifier: string;
  /** Its instance class (`db.m7g.large`): the size sets max_connections. */
  readonly instanceClass: string;
  /** Its allocated storage, for the free-storage thresholds. */
  readonly allocatedStorageGiB: number;
}

/**
 * The PostgreSQL instance: CPU, memory, connections, free storage (P2 near full, P4 as a trend),
 * RDS's own availability/failover/failure events on the page topic, and its graphs.
 */
export class DatabaseMonitoring extends MonitoringSegment {
  constructor(scope: Construct, id: string, props: DatabaseMonitoringProps) {
    super(scope, id, props);
    const instance = props.instanceIdentifier;
    const { GREATER_THAN_THRESHOLD: GT, LESS_THAN_THRESHOLD: LT } = cloudwatch.ComparisonOperator;
    const { NOT_BREACHING } = cloudwatch.TreatMissingData;
    const allocatedBytes = props.allocatedStorageGiB * 1024 ** 3;
    const size = props.instanceClass.split('.')[1] ?? '';
    const maxConnections = Math.min(
      Math.floor(((INSTANCE_MEMORY_GIB[size] ?? 4) * 1024 ** 3) / 9_531_392),
      5000,
    );
    const metric = (metricName: string, statistic: string) =>
      databaseMetric(instance, metricName, statistic);
    this.addAlarm({
      slug: 'db-cpu-high',
      severity: 'P3',
      summary: `${instance} CPU above 80% for 15 minutes.`,
      runbook: 'database-cpu-or-memory',
      metric: metric('CPUUtilization', 'Average'),
      threshold: 80,
      comparisonOperator: GT,
      evaluationPeriods: 3,
      treatMissingData: NOT_BREACHING,
    });
    this.addAlarm({
      slug: 'db-freeable-memory-low',
      severity: 'P3',
      summary: `${instance} freeable memory under 256 MiB for 15 minutes.`,
      runbook: 'database-cpu-or-memory',
      metric: metric('FreeableMemory', 'Minimum'),
      threshold: 256 * 1024 ** 2,
      comparisonOperator: LT,
      evaluationPeriods: 3,
      treatMissingData: NOT_BREACHING,
    });
    this.addAlarm({
      slug: 'db-connections-high',
      severity: 'P3',
      summary: `${instance} connections above 80% of max_connections (${maxConnections}).`,
      runbook: 'database-connections-high',
      metric: metric('DatabaseConnections', 'Maximum'),
      threshold: Math.floor(maxConnections * 0.8),
      comparisonOperator: GT,
      evaluationPeriods: 2,
      treatMissingData: NOT_BREACHING,
    });
    this.addAlarm({
      slug: 'db-free-storage-low',
      severity: 'P2',
      summary: `${instance} has under 10% of its ${props.allocatedStorageGiB} GiB free: writes (orders) fail when it is full.`,
      runbook: 'database-storage',
      metric: metric('FreeStorageSpace', 'Minimum'),
      threshold: allocatedBytes * 0.1,
      comparisonOperator: LT,
      treatMissingData: NOT_BREACHING,
    });
    this.addAlarm({
      slug: 'db-free-storage-trend',
      severity: 'P4',
      summary: `${instance} has under 25% of its storage free: plan the growth.`,
      runbook: 'database-storage',
      metric: metric('FreeStorageSpace', 'Minimum'),
      threshold: allocatedBytes * 0.25,
      comparisonOperator: LT,
      treatMissingData: NOT_BREACHING,
    });

    // Failover, failure, stops and low storage, straight from RDS.
    new rds.CfnEventSubscription(this, 'DatabaseEvents', {
      subscriptionName: `${props.alarmNamePrefix}-db-events`,
      snsTopicArn: props.routes.page.topicArn,
      sourceType: 'db-instance',
      sourceIds: [instance],
      eventCategories: ['availability', 'failover', 'failure', 'low storage'],
      enabled: true,
    });

    this.widgets.push(
      graph('RDS CPU % and connections', [
        metric('CPUUtilization', 'Average'),
        metric('DatabaseConnections', 'Maximum'),
      ]),
      graph('RDS free storage (bytes)', [metric('FreeStorageSpace', 'Minimum')]),
    );
  }
}
