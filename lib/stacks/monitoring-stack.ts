import { type CfnElement, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ALARM_SLUGS } from '../../contract/metrics';
import { operatorNames } from '../../contract/names';
import {
  SCHEDULED_PROCEDURE_NAMES,
  type ScheduledProcedureName,
} from '../../contract/scheduled-procedures';
import { DatabaseMonitoring } from '../constructs/monitoring/database-monitoring';
import { FunctionsMonitoring } from '../constructs/monitoring/functions-monitoring';
import { LoadBalancerMonitoring } from '../constructs/monitoring/load-balancer-monitoring';
import { ProceduresMonitoring } from '../constructs/monitoring/procedures-monitoring';
import { logicalIdWithoutSegments } from '../constructs/monitoring/segment';
import { ServiceMonitoring } from '../constructs/monitoring/service-monitoring';
import { TradingSignalsMonitoring } from '../constructs/monitoring/trading-signals-monitoring';
import { type AlertRoutes, type RoutedAlarm, SEVERITIES } from '../constructs/routed-alarm';
import { autoKillAlarmNames } from './ops-stack';
import { StageStack, type StageStackProps } from './stage-stack';

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

/**
 * Every alarm of product.md's "Alarms and paging", routed by severity, with the composite
 * "safe to trade" over the P1/P2 ones, and the stage's CloudWatch dashboard. It only assembles:
 * each segment (lib/constructs/monitoring) makes its resource's alarms and widgets; this stack
 * combines the alarms into the composite and lays out the dashboard.
 */
export class MonitoringStack extends StageStack {
  /** By slug (`algo-trading-<stage>-<slug>`). */
  readonly alarms: Record<string, RoutedAlarm> = {};
  readonly safeToTrade: cloudwatch.CompositeAlarm;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config, routes } = props;
    const names = operatorNames(config.stage);
    const common = { alarmNamePrefix: names.prefix, routes };

    const service = new ServiceMonitoring(this, 'Services', {
      ...common,
      clusterName: names.cluster,
      tradingServiceName: names.tradingService,
      dashboardServiceName: names.dashboardService,
    });
    const loadBalancer = new LoadBalancerMonitoring(this, 'LoadBalancer', {
      ...common,
      loadBalancer: props.loadBalancer,
      targetGroup: props.targetGroup,
    });
    const database = new DatabaseMonitoring(this, 'Database', {
      ...common,
      instanceIdentifier: names.dbInstance,
      instanceClass: config.database.instanceClass,
      allocatedStorageGiB: config.database.allocatedStorageGiB,
    });
    // The operator functions carry the kill: their failures page.
    const operatorFunctions = new FunctionsMonitoring(this, 'OperatorFunctions', {
      ...common,
      functions: props.operatorFunctions,
      severity: 'P2',
    });
    const scheduledFunctions = new FunctionsMonitoring(this, 'ScheduledFunctions', {
      ...common,
      functions: props.scheduledFunctions,
      severity: 'P3',
    });
    const signals = new TradingSignalsMonitoring(this, 'TradingSignals', {
      ...common,
      stage: config.stage,
      dailyLossStopPct: config.risk.dailyLossStopPct,
      maxPortfolioHeatPct: config.risk.maxPortfolioHeatPct,
      maxOrdersPerSecond: config.risk.maxOrdersPerSecond,
      flagMaxStalenessSeconds: config.trading.flagMaxStalenessSeconds,
    });
    const procedures = new ProceduresMonitoring(this, 'Procedures', {
      ...common,
      stage: config.stage,
      procedures: SCHEDULED_PROCEDURE_NAMES,
      scheduleDeadLetters: props.scheduleDeadLetters,
      autoKillDeadLetters: props.autoKillDeadLetters,
    });
    const segments = [
      service,
      loadBalancer,
      database,
      operatorFunctions,
      scheduledFunctions,
      signals,
      procedures,
    ];
    for (const alarm of segments.flatMap((segment) => segment.alarms)) {
      this.alarms[alarm.name.slice(names.prefix.length + 1)] = alarm;
    }

    for (const name of autoKillAlarmNames(config.stage)) {
      const alarm = Object.values(this.alarms).find((a) => a.name === name);
      if (!alarm?.autoKill) throw new Error(`auto-kill alarm ${name} is not defined as auto-kill`);
    }

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
      actionsSuppressor: service.tradingDeploying,
      actionsSuppressorWaitPeriod: Duration.minutes(2),
      actionsSuppressorExtensionPeriod: Duration.minutes(5),
    });
    this.safeToTrade.addAlarmAction(new actions.SnsAction(routes.notify));
    this.safeToTrade.addOkAction(new actions.SnsAction(routes.notify));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: names.prefix,
      defaultInterval: Duration.hours(12),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${names.prefix}\nMode **${config.mode}**. Kill: \`npx tradeops kill ${config.stage} --reason "..."\`. Runbook: docs/RUNBOOK.md`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms (safe to trade first)',
        alarms: [this.safeToTrade, ...Object.values(this.alarms).map((a) => a.alarm)],
        width: 24,
        height: 6,
      }),
    );
    // A row wraps at the dashboard's width: the signals' six graphs fill two rows.
    this.dashboard.addWidgets(...signals.widgets);
    this.dashboard.addWidgets(...service.widgets, ...database.widgets);
    this.dashboard.addWidgets(...procedures.widgets);
  }

  /**
   * Segments group constructs in the tree only: every resource keeps the logical ID it had
   * before the split (see logicalIdWithoutSegments).
   */
  protected override allocateLogicalId(element: CfnElement): string {
    return logicalIdWithoutSegments(this, element);
  }
}
