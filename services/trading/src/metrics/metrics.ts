import { METRIC_DIMENSIONS, TRADING_METRICS } from '../../../../contract/metrics';

/** Label names shared by several metrics. */
export const METRIC_LABELS = {
  /**
   * The order's algo ID (`none` for an order without one): bounded by the strategies configured,
   * a handful, so it is a CloudWatch dimension.
   */
  algo: 'algo',
} as const;

/** The algo label's value of an order. */
export const algoLabel = (algoId: string | undefined) => algoId ?? 'none';

type Labels = Readonly<Record<string, string>>;

interface MetricDefinition {
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  /** CloudWatch metric name (EMF); omitted: Prometheus only. */
  readonly cloudWatch?: string;
  readonly unit?: 'Count' | 'None' | 'Seconds' | 'Percent' | 'Count/Second';
  /** Labels that become CloudWatch dimensions (each of few values: dimensions cost per value). */
  readonly dimensions?: readonly string[];
}

/**
 * Every metric the service emits. The CloudWatch names come from the contract, where the
 * monitoring stack's alarms take them too.
 */
export const METRICS = {
  algo_orders_submitted_total: {
    type: 'counter',
    help: 'Orders sent to the broker, by algo ID',
    cloudWatch: TRADING_METRICS.ordersSubmitted,
    unit: 'Count',
    dimensions: [METRIC_LABELS.algo],
  },
  algo_orders_rejected_total: {
    type: 'counter',
    help: 'Orders refused by pre-trade risk or the broker, by reason and algo ID',
    cloudWatch: TRADING_METRICS.ordersRejected,
    unit: 'Count',
    dimensions: ['reason', METRIC_LABELS.algo],
  },
  algo_fills_total: {
    type: 'counter',
    help: 'Executions received, by algo ID',
    cloudWatch: TRADING_METRICS.fills,
    unit: 'Count',
    dimensions: [METRIC_LABELS.algo],
  },
  algo_orders_per_second: {
    type: 'gauge',
    help: 'Peak orders in any one-second window since the last report',
    cloudWatch: TRADING_METRICS.ordersPerSecond,
    unit: 'Count/Second',
  },
  algo_trading_state: {
    type: 'gauge',
    help: 'Trading state: 0 ACTIVE, 1 PAUSED, 2 HALTED, 3 HARD_HALT',
    cloudWatch: TRADING_METRICS.tradingState,
    unit: 'None',
  },
  algo_state_transitions_total: {
    type: 'counter',
    help: 'State transitions, by target state',
    dimensions: ['to'],
  },
  algo_flag_enabled: {
    type: 'gauge',
    help: '1 when the kill flag allows entries',
    cloudWatch: TRADING_METRICS.flagEnabled,
    unit: 'None',
  },
  algo_flag_age_seconds: {
    type: 'gauge',
    help: 'Seconds since the flag was last read successfully',
    cloudWatch: TRADING_METRICS.flagAgeSeconds,
    unit: 'Seconds',
  },
  algo_daily_pnl_inr: {
    type: 'gauge',
    help: "Today's P&L, realized + unrealized, INR",
    cloudWatch: TRADING_METRICS.dailyPnlInr,
    unit: 'None',
  },
  algo_daily_pnl_pct: {
    type: 'gauge',
    help: "Today's P&L, percent of capital",
    cloudWatch: TRADING_METRICS.dailyPnlPct,
    unit: 'Percent',
  },
  algo_realized_pnl_inr: {
    type: 'gauge',
    help: 'Realized P&L today, INR',
    cloudWatch: TRADING_METRICS.realizedPnlInr,
    unit: 'None',
  },
  algo_unrealized_pnl_inr: {
    type: 'gauge',
    help: 'Unrealized P&L, INR',
    cloudWatch: TRADING_METRICS.unrealizedPnlInr,
    unit: 'None',
  },
  algo_portfolio_heat_pct: {
    type: 'gauge',
    help: 'Open risk to stops, percent of capital',
    cloudWatch: TRADING_METRICS.portfolioHeatPct,
    unit: 'Percent',
  },
  algo_daily_loss_stop_hit: {
    type: 'gauge',
    help: '1 while the daily loss stop holds the service in HARD_HALT',
    cloudWatch: TRADING_METRICS.dailyLossStopHit,
    unit: 'Count',
  },
  algo_feed_lag_seconds: {
    type: 'gauge',
    help: 'Seconds since the last update, by feed',
    cloudWatch: TRADING_METRICS.feedLagSeconds,
    unit: 'Seconds',
    dimensions: ['feed'],
  },
  algo_feed_stale: {
    type: 'gauge',
    help: '1 when a feed is STALE or OUTDATED while the market is open',
    cloudWatch: TRADING_METRICS.feedStale,
    unit: 'Count',
  },
  algo_broker_connected: {
    type: 'gauge',
    help: '1 when the broker is connected',
    cloudWatch: TRADING_METRICS.brokerConnected,
    unit: 'None',
  },
  algo_broker_token_valid: {
    type: 'gauge',
    help: '0 while the broker refuses our access token (trading HALTED), else 1',
    cloudWatch: TRADING_METRICS.brokerTokenValid,
    unit: 'None',
  },
  algo_circuit_breaker_open: {
    type: 'gauge',
    help: '1 when a circuit breaker is OPEN or HALF_OPEN, by breaker',
    cloudWatch: TRADING_METRICS.circuitBreakerOpen,
    unit: 'Count',
    dimensions: ['breaker'],
  },
  algo_rate_limit_usage_pct: {
    type: 'gauge',
    help: 'Rate-limit usage, percent, by upstream',
    dimensions: ['upstream'],
  },
  algo_http_requests_total: {
    type: 'counter',
    help: 'HTTP requests served',
    cloudWatch: TRADING_METRICS.requests,
    unit: 'Count',
  },
  algo_http_errors_total: {
    type: 'counter',
    help: 'HTTP requests that failed with 5xx',
    cloudWatch: TRADING_METRICS.errors,
    unit: 'Count',
  },
  algo_flatten_requests_total: {
    type: 'counter',
    help: 'Flatten requests handled, by outcome',
    cloudWatch: TRADING_METRICS.flattenRequests,
    unit: 'Count',
    dimensions: ['outcome'],
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

const labelKey = (labels?: Labels) =>
  labels
    ? Object.entries(labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : '';

/** Counters and gauges with labels, rendered as Prometheus text and as CloudWatch EMF lines. */
export class Metrics {
  private readonly values = new Map<MetricName, Map<string, { labels?: Labels; value: number }>>();
  /** Counter values at the last EMF flush: EMF reports deltas. */
  private readonly flushed = new Map<string, number>();

  inc(name: MetricName, labels?: Labels, by = 1): void {
    const series = this.series(name);
    const key = labelKey(labels);
    const current = series.get(key);
    series.set(key, { labels, value: (current?.value ?? 0) + by });
  }

  set(name: MetricName, value: number, labels?: Labels): void {
    this.series(name).set(labelKey(labels), { labels, value });
  }

  /** The series with exactly these labels; with `partial`, the sum of every series having them. */
  get(name: MetricName, labels?: Labels, partial = false): number {
    const series = this.values.get(name);
    if (!partial) return series?.get(labelKey(labels))?.value ?? 0;
    let sum = 0;
    for (const s of series?.values() ?? [])
      if (Object.entries(labels ?? {}).every(([k, v]) => s.labels?.[k] === v)) sum += s.value;
    return sum;
  }

  prometheus(): string {
    const lines: string[] = [];
    for (const [name, def] of Object.entries(METRICS) as Array<[MetricName, MetricDefinition]>) {
      const series = this.values.get(name);
      lines.push(`# HELP ${name} ${def.help}`, `# TYPE ${name} ${def.type}`);
      if (!series || series.size === 0) {
        if (!def.dimensions) lines.push(`${name} 0`);
        continue;
      }
      for (const { labels, value } of series.values()) {
        const rendered = labels
          ? `{${Object.entries(labels)
              .map(([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)
              .join(',')}}`
          : '';
        lines.push(`${name}${rendered} ${Number.isFinite(value) ? value : 0}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  /**
   * CloudWatch Embedded Metric Format: one JSON line per dimension set, counters as the change
   * since the previous call, gauges as their value. Lines go to stdout, where the awslogs driver
   * sends them to CloudWatch Logs, which extracts the metrics.
   */
  emf(namespace: string, stage: string, timestamp = Date.now()): string[] {
    const groups = new Map<
      string,
      {
        dims: Record<string, string>;
        metrics: Array<{ Name: string; Unit: string }>;
        values: Record<string, number>;
      }
    >();
    for (const [name, def] of Object.entries(METRICS) as Array<[MetricName, MetricDefinition]>) {
      if (!def.cloudWatch) continue;
      const series = this.values.get(name);
      const entries =
        series && series.size > 0
          ? [...series.entries()]
          : def.dimensions
            ? []
            : [['', { value: 0 }] as const];
      for (const [key, { labels, value }] of entries as Array<
        [string, { labels?: Labels; value: number }]
      >) {
        let reported = value;
        if (def.type === 'counter') {
          const seriesKey = `${name}|${key}`;
          reported = value - (this.flushed.get(seriesKey) ?? 0);
          this.flushed.set(seriesKey, value);
        }
        const dims: Record<string, string> = { [METRIC_DIMENSIONS.stage]: stage };
        for (const label of def.dimensions ?? []) {
          const v = labels?.[label];
          if (v !== undefined) dims[capitalize(label)] = v;
        }
        const groupKey = JSON.stringify(dims);
        const group = groups.get(groupKey) ?? { dims, metrics: [], values: {} };
        group.metrics.push({ Name: def.cloudWatch, Unit: def.unit ?? 'None' });
        group.values[def.cloudWatch] = Number.isFinite(reported) ? reported : 0;
        groups.set(groupKey, group);
      }
    }
    return [...groups.values()].map((g) =>
      JSON.stringify({
        _aws: {
          Timestamp: timestamp,
          CloudWatchMetrics: [
            {
              Namespace: namespace,
              // A labelled series is also published under Stage alone, where CloudWatch
              // aggregates the labels: what the alarms watch (rejects of any reason, any breaker);
              // with two labels, under each one with Stage too (rejects of one algo).
              Dimensions: dimensionSets(Object.keys(g.dims)),
              Metrics: g.metrics,
            },
          ],
        },
        ...g.dims,
        ...g.values,
      }),
    );
  }

  private series(name: MetricName) {
    let series = this.values.get(name);
    if (!series) {
      series = new Map();
      this.values.set(name, series);
    }
    return series;
  }
}

function dimensionSets(keys: readonly string[]): string[][] {
  const stage = METRIC_DIMENSIONS.stage;
  const labels = keys.filter((k) => k !== stage);
  if (labels.length === 0) return [[stage]];
  const singles = labels.length > 1 ? labels.map((l) => [stage, l]) : [];
  return [[stage, ...labels], ...singles, [stage]];
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
