import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ALARM_SLUGS, OPS_METRICS, type OpsMetricName } from '../../../contract/metrics';
import type { ScheduledProcedureName } from '../../../contract/scheduled-procedures';
import type { Severity } from '../routed-alarm';
import { graph, procedureMetric } from './metrics';
import { MonitoringSegment, type MonitoringSegmentProps } from './segment';

export interface ProceduresMonitoringProps extends MonitoringSegmentProps {
  /** The stage: the procedures' metrics carry it as a dimension. */
  readonly stage: string;
  /** Every scheduled procedure, in the order the checklist graph lists them. */
  readonly procedures: readonly ScheduledProcedureName[];
  /** Failed scheduled runs (after retries) and undeliverable schedules. */
  readonly scheduleDeadLetters: sqs.IQueue;
  /** Auto-kill events the emergency stop could not take (after retries). */
  readonly autoKillDeadLetters: sqs.IQueue;
}

/**
 * The procedures: their dead letters (a scheduled run or an auto-kill that never ran), each
 * report's verdict (morning NOT READY, a missing report, a token, evening, export, backup), the
 * deadline check's own silence, and the failed-checks graph.
 */
export class ProceduresMonitoring extends MonitoringSegment {
  constructor(scope: Construct, id: string, props: ProceduresMonitoringProps) {
    super(scope, id, props);
    const procedure = (name: ScheduledProcedureName, metricName: OpsMetricName) =>
      procedureMetric(props.stage, name, metricName);
    const { GREATER_THAN_OR_EQUAL_TO_THRESHOLD: GTE, LESS_THAN_THRESHOLD: LT } =
      cloudwatch.ComparisonOperator;
    const { BREACHING, NOT_BREACHING } = cloudwatch.TreatMissingData;

    this.addAlarm({
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
    this.addAlarm({
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

    // Each procedure reports once a run; no report is no data, not a breach: the deadline check
    // pages when a report is missing.
    const reportAlarm = (
      slug: string,
      severity: Severity,
      summary: string,
      runbook: string,
      metric: cloudwatch.IMetric,
    ) =>
      this.addAlarm({
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
    this.addAlarm({
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
      [ALARM_SLUGS.recordsFailed, 'records'],
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

    const failedChecks = (name: ScheduledProcedureName) =>
      procedure(name, OPS_METRICS.checksFailed).with({ period: Duration.hours(1), label: name });
    this.widgets.push(
      graph('Checklists: failed checks per run', props.procedures.map(failedChecks), 24),
    );
  }
}
