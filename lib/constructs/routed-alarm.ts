import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Severity decides the route and the response time (docs/RUNBOOK.md#severity-levels). */
export const SEVERITIES = {
  P1: { route: 'page', respondWithin: '15 min' },
  P2: { route: 'page', respondWithin: '30 min' },
  P3: { route: 'notify', respondWithin: '2 h' },
  P4: { route: 'notify', respondWithin: '24 h' },
} as const;
export type Severity = keyof typeof SEVERITIES;

export interface AlertRoutes {
  readonly page: sns.ITopic;
  readonly notify: sns.ITopic;
}

export interface RoutedAlarmProps {
  /** `algo-trading-<stage>-<slug>`. */
  readonly alarmName: string;
  readonly severity: Severity;
  /** What it means, in one sentence for the person paged. */
  readonly summary: string;
  /** The heading of docs/RUNBOOK.md that answers it, as its anchor. */
  readonly runbook: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /** Its ALARM state runs the emergency stop (the Ops stack's auto-kill rule, by name). */
  readonly autoKill?: boolean;
  /**
   * It watches one report per run: it returns to OK by itself minutes later, which says nothing
   * about the problem, so it sends no OK (the next report does). @default false
   */
  readonly perRun?: boolean;
}

/**
 * An alarm that says what is wrong and where the answer is, and goes where its severity says:
 * P1/P2 to the page topic, P3/P4 to the notify topic, on ALARM and on OK.
 */
export class RoutedAlarm extends Construct {
  readonly alarm: cloudwatch.Alarm;
  readonly name: string;
  readonly severity: Severity;
  readonly autoKill: boolean;
  readonly perRun: boolean;

  constructor(scope: Construct, id: string, props: RoutedAlarmProps, routes: AlertRoutes) {
    super(scope, id);
    this.name = props.alarmName;
    this.severity = props.severity;
    this.autoKill = props.autoKill ?? false;
    this.perRun = props.perRun ?? false;
    const tag = props.autoKill ? `${props.severity} AUTO-KILL` : props.severity;
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: props.alarmName,
      alarmDescription: `${tag}: ${props.summary}${props.perRun ? ' (One report per run: it clears by itself; the next report says whether it is fixed.)' : ''} Runbook: docs/RUNBOOK.md#${props.runbook}`,
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: props.comparisonOperator,
      evaluationPeriods: props.evaluationPeriods ?? 1,
      datapointsToAlarm: props.datapointsToAlarm ?? props.evaluationPeriods ?? 1,
      treatMissingData: props.treatMissingData,
    });
    const topic = routes[SEVERITIES[props.severity].route];
    this.alarm.addAlarmAction(new actions.SnsAction(topic));
    if (!this.perRun) this.alarm.addOkAction(new actions.SnsAction(topic));
  }
}
