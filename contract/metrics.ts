/**
 * CloudWatch metric names, dimensions and alarm slugs: what the code emits and what the alarms
 * watch, written once. An alarm on a name that nothing emits never fires, so the monitoring
 * stack takes its names from here and a test checks every alarm against `EMITTED_METRIC_NAMES`.
 */

/** The namespace of every metric we publish (the trading service's EMF and the Lambdas'). */
export const METRIC_NAMESPACE = 'AlgoTrading';

/** Dimension names of our metrics. */
export const METRIC_DIMENSIONS = {
  /** Every metric carries the stage. */
  stage: 'Stage',
  /** Powertools adds the function's service name (the procedure's name for scheduled ones). */
  service: 'service',
  /** The procedure an ops function ran. */
  procedure: 'Procedure',
  /** How an operator procedure ended (`ProcedureRuns`). */
  outcome: 'Outcome',
} as const;

/** The trading service's CloudWatch metrics (EMF, services/trading/src/metrics/metrics.ts). */
export const TRADING_METRICS = {
  ordersSubmitted: 'OrdersSubmitted',
  ordersRejected: 'OrdersRejected',
  fills: 'Fills',
  ordersPerSecond: 'OrdersPerSecond',
  tradingState: 'TradingState',
  flagEnabled: 'FlagEnabled',
  flagAgeSeconds: 'FlagAgeSeconds',
  dailyPnlInr: 'DailyPnlInr',
  dailyPnlPct: 'DailyPnlPct',
  realizedPnlInr: 'RealizedPnlInr',
  unrealizedPnlInr: 'UnrealizedPnlInr',
  portfolioHeatPct: 'PortfolioHeatPct',
  dailyLossStopHit: 'DailyLossStopHit',
  feedLagSeconds: 'FeedLagSeconds',
  feedStale: 'FeedStale',
  brokerConnected: 'BrokerConnected',
  /** 0 while the broker refuses our access token (trading HALTED), else 1. */
  brokerTokenValid: 'BrokerTokenValid',
  circuitBreakerOpen: 'CircuitBreakerOpen',
  requests: 'Requests',
  errors: 'Errors',
  flattenRequests: 'FlattenRequests',
} as const;

/** The ops Lambdas' Powertools metrics (lambdas/shared, lambdas/emergency-stop). */
export const OPS_METRICS = {
  /** A scheduled procedure ran to its report (the "did not run" alarms watch it). */
  procedureCompleted: 'ProcedureCompleted',
  /** FAILed checks of a scheduled procedure's report. */
  checksFailed: 'ChecksFailed',
  /** A scheduled procedure threw. */
  procedureFailed: 'ProcedureFailed',
  /** One operator procedure run, by procedure and outcome. */
  procedureRuns: 'ProcedureRuns',
  /** The emergency stop ran. */
  killExecuted: 'KillExecuted',
} as const;

/** A CloudWatch metric name the trading service emits. */
export type TradingMetricName = (typeof TRADING_METRICS)[keyof typeof TRADING_METRICS];

/** A CloudWatch metric name the ops Lambdas emit. */
export type OpsMetricName = (typeof OPS_METRICS)[keyof typeof OPS_METRICS];

/** A CloudWatch metric name one of our processes emits. */
export type EmittedMetricName = TradingMetricName | OpsMetricName;

/** Every metric name our code publishes in `METRIC_NAMESPACE`. */
export const EMITTED_METRIC_NAMES: readonly EmittedMetricName[] = [
  ...Object.values(TRADING_METRICS),
  ...Object.values(OPS_METRICS),
];

/**
 * Slugs of the alarms with a fixed name (`algo-trading-<stage>-<slug>`) that something besides
 * the monitoring stack refers to: runbooks, the auto-kill rule, operators.
 */
export const ALARM_SLUGS = {
  dailyLossStop: 'daily-loss-stop',
  safeToTrade: 'safe-to-trade',
  errorRateHigh: 'error-rate-high',
  feedStale: 'feed-stale',
  brokerDisconnected: 'broker-disconnected',
  brokerTokenInvalid: 'broker-token-invalid',
  portfolioHeatHigh: 'portfolio-heat-high',
  orderRejectsSpike: 'order-rejects-spike',
  orderRateNearLimit: 'order-rate-near-limit',
  circuitBreakerOpen: 'circuit-breaker-open',
  flagUnreadable: 'flag-unreadable',
  morningNotReady: 'morning-not-ready',
  checklistMissing: 'checklist-missing',
  deadlineCheckSilent: 'deadline-check-silent',
  tokenExpiring: 'token-expiring',
  eveningChecklistFailed: 'evening-checklist-failed',
  exportFailed: 'export-failed',
  recordsFailed: 'records-failed',
  backupFailed: 'backup-failed',
  scheduledProcedureFailed: 'scheduled-procedure-failed',
  autoKillFailed: 'auto-kill-failed',
} as const;
