import { METRIC_NAMESPACE } from '../../../../contract/metrics';
import type { AnyStage } from '../../../../contract/names';
import type { Broker } from '../broker/broker';
import type { SharedOrderRateLimiter } from '../broker/order-rate-limiter';
import { round2 } from '../domain';
import type { FlagWatcher } from '../flag/flag-watcher';
import type { TradingSession } from '../market/session';
import type { BookReading } from '../risk/post-trade-risk';
import { STATE_CODE, type TradingStateMachine } from '../trading-state';
import type { TradingViews } from '../views/trading-views';
import type { Metrics } from './metrics';

/** What the gauges read. */
export interface GaugesDeps {
  readonly stage: AnyStage;
  readonly flagMaxStalenessMs: number;
  readonly metrics: Metrics;
  readonly flag: FlagWatcher;
  readonly states: TradingStateMachine;
  readonly broker: Broker;
  readonly session: TradingSession;
  readonly rate: SharedOrderRateLimiter;
  readonly views: Pick<TradingViews, 'feedsView' | 'breakersView' | 'rateLimitsView'>;
  /** Where EMF lines go. @default stdout */
  readonly emfSink?: (line: string) => void;
}

/**
 * The gauges the alarms and the dashboard read, set on every evaluation, and their CloudWatch
 * EMF lines.
 */
export class Gauges {
  constructor(private readonly deps: GaugesDeps) {}

  /** Sets every gauge from the book reading and the state of the service's inputs. */
  update({ figures, dailyPct, heatPct }: BookReading): void {
    const { deps } = this;
    const m = deps.metrics;
    const flag = deps.flag.snapshot();
    m.set('algo_trading_state', STATE_CODE[deps.states.state()]);
    m.set('algo_flag_enabled', flag.enabled ? 1 : 0);
    m.set('algo_flag_age_seconds', flag.ageSeconds ?? deps.flagMaxStalenessMs / 1000 + 1);
    m.set('algo_daily_pnl_inr', round2(figures.dailyInr));
    m.set('algo_daily_pnl_pct', round2(dailyPct));
    m.set('algo_realized_pnl_inr', round2(figures.realizedInr));
    m.set('algo_unrealized_pnl_inr', round2(figures.unrealizedInr));
    m.set('algo_portfolio_heat_pct', round2(heatPct));
    m.set('algo_broker_connected', deps.broker.connected() ? 1 : 0);
    m.set('algo_broker_token_valid', deps.broker.tokenProblem?.() === undefined ? 1 : 0);
    const marketOpen = deps.session.status().open;
    const feeds = deps.views.feedsView();
    for (const feed of feeds)
      m.set('algo_feed_lag_seconds', feed.tick_lag_sec ?? 9999, { feed: feed.source });
    m.set('algo_feed_stale', marketOpen && feeds.some((f) => f.status !== 'FRESH') ? 1 : 0);
    for (const b of deps.views.breakersView())
      m.set('algo_circuit_breaker_open', b.state === 'CLOSED' ? 0 : 1, { breaker: b.name });
    for (const r of deps.views.rateLimitsView())
      m.set('algo_rate_limit_usage_pct', r.usagePct, { upstream: r.upstream });
  }

  /** Writes the metrics as EMF lines (the peak order rate since the last emission included). */
  emitEmf(): void {
    const { deps } = this;
    deps.metrics.set('algo_orders_per_second', deps.rate.takePeak());
    const sink = deps.emfSink ?? ((line: string) => process.stdout.write(`${line}\n`));
    for (const line of deps.metrics.emf(METRIC_NAMESPACE, deps.stage)) sink(line);
  }
}
