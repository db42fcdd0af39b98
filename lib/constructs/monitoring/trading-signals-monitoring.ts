import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { ALARM_SLUGS, TRADING_METRICS, type TradingMetricName } from '../../../contract/metrics';
import { graph, tradingMetric } from './metrics';
import { MonitoringSegment, type MonitoringSegmentProps } from './segment';

export interface TradingSignalsMonitoringProps extends MonitoringSegmentProps {
  /** The stage: the service's metrics carry it as their one dimension. */
  readonly stage: string;
  /** The daily loss stop, % of capital (its alarm runs the emergency stop). */
  readonly dailyLossStopPct: number;
  /** The portfolio heat cap, % of capital: the heat alarm's threshold. */
  readonly maxPortfolioHeatPct: number;
  /** The client-wide order-rate limit: its alarm fires at 80%. */
  readonly maxOrdersPerSecond: number;
  /** How long the service trusts its last read of the kill flag. */
  readonly flagMaxStalenessSeconds: number;
}

/**
 * The trading service's own signals (its EMF metrics): the daily loss stop (auto-kill), error
 * rate, feeds, broker, heat, rejects, order rate, circuit breakers and the kill flag's age, and
 * the state, P&L, orders and feed graphs. Gauges are published every minute while a task runs;
 * with no task there is no data, which the tasks-below-desired alarm already pages.
 */
export class TradingSignalsMonitoring extends MonitoringSegment {
  constructor(scope: Construct, id: string, props: TradingSignalsMonitoringProps) {
    super(scope, id, props);
    const service = (
      metricName: TradingMetricName,
      statistic: string,
      period = Duration.minutes(1),
    ) => tradingMetric(props.stage, metricName).with({ statistic, period });
    const { GREATER_THAN_OR_EQUAL_TO_THRESHOLD: GTE, GREATER_THAN_THRESHOLD: GT } =
      cloudwatch.ComparisonOperator;
    const { LESS_THAN_THRESHOLD: LT } = cloudwatch.ComparisonOperator;
    const { NOT_BREACHING } = cloudwatch.TreatMissingData;

    this.addAlarm({
      slug: ALARM_SLUGS.dailyLossStop,
      severity: 'P1',
      autoKill: true,
      summary: `The daily loss stop (${props.dailyLossStopPct}% of capital) was hit: HARD_HALT. The emergency stop runs automatically.`,
      runbook: 'daily-loss-stop-hit',
      metric: service(TRADING_METRICS.dailyLossStopHit, 'Maximum'),
      threshold: 1,
      comparisonOperator: GTE,
      treatMissingData: NOT_BREACHING,
    });
    this.addAlarm({
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
    this.addAlarm({
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
    this.addAlarm({
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
    this.addAlarm({
      slug: ALARM_SLUGS.brokerTokenInvalid,
      severity: 'P1',
      summary: 'The broker refuses our access token: trading is HALTED until a new login.',
      runbook: 'broker-token-invalid',
      metric: service(TRADING_METRICS.brokerTokenValid, 'Minimum'),
      threshold: 1,
      comparisonOperator: LT,
      evaluationPeriods: 1,
      treatMissingData: NOT_BREACHING,
    });
    this.addAlarm({
      slug: ALARM_SLUGS.portfolioHeatHigh,
      severity: 'P2',
      summary: `Open risk to the stops is above the ${props.maxPortfolioHeatPct}% portfolio heat cap.`,
      runbook: 'portfolio-heat-high',
      metric: service(TRADING_METRICS.portfolioHeatPct, 'Maximum'),
      threshold: props.maxPortfolioHeatPct,
      comparisonOperator: GT,
      treatMissingData: NOT_BREACHING,
    });
    this.addAlarm({
      slug: ALARM_SLUGS.orderRejectsSpike,
      severity: 'P3',
      summary: 'More than 20 orders refused (risk or broker) in 5 minutes.',
      runbook: 'order-rejects-spike',
      metric: service(TRADING_METRICS.ordersRejected, 'Sum', Duration.minutes(5)),
      threshold: 20,
      comparisonOperator: GT,
      treatMissingData: NOT_BREACHING,
    });
    this.addAlarm({
      slug: ALARM_SLUGS.orderRateNearLimit,
      severity: 'P3',
      summary: `Orders per second at 80% of the ${props.maxOrdersPerSecond}/s limit for 3 minutes.`,
      runbook: 'order-rate-near-limit',
      metric: service(TRADING_METRICS.ordersPerSecond, 'Maximum'),
      threshold: Math.ceil(props.maxOrdersPerSecond * 0.8),
      comparisonOperator: GTE,
      evaluationPeriods: 3,
      treatMissingData: NOT_BREACHING,
    });
    this.addAlarm({
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
    this.addAlarm({
      slug: ALARM_SLUGS.flagUnreadable,
      severity: 'P2',
      summary: `The trading service has not read the kill flag for over ${props.flagMaxStalenessSeconds} s: it has halted itself (fail closed).`,
      runbook: 'flag-unreadable',
      metric: service(TRADING_METRICS.flagAgeSeconds, 'Maximum'),
      threshold: props.flagMaxStalenessSeconds,
      comparisonOperator: GT,
      evaluationPeriods: 2,
      treatMissingData: NOT_BREACHING,
    });

    const m = (metricName: TradingMetricName, statistic = 'Maximum') =>
      tradingMetric(props.stage, metricName).with({ statistic });
    this.widgets.push(
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
          { value: props.maxPortfolioHeatPct, label: 'heat cap', color: '#d62728' },
          { value: -props.dailyLossStopPct, label: 'loss stop', color: '#d62728' },
        ],
        width: 8,
        height: 6,
      }),
      graph('Orders, fills and rejects', [
        m(TRADING_METRICS.ordersSubmitted, 'Sum'),
        m(TRADING_METRICS.fills, 'Sum'),
        m(TRADING_METRICS.ordersRejected, 'Sum'),
      ]),
      graph(`Orders per second (limit ${props.maxOrdersPerSecond})`, [
        m(TRADING_METRICS.ordersPerSecond),
      ]),
      graph('Feed lag (s), stale, broker connected', [
        m(TRADING_METRICS.feedLagSeconds),
        m(TRADING_METRICS.feedStale),
        m(TRADING_METRICS.brokerConnected, 'Minimum'),
        m(TRADING_METRICS.circuitBreakerOpen),
      ]),
    );
  }
}
