import type { AnyStage } from '../../../../contract/names';
import type { RiskLimits } from '../../../../contract/risk-limits';
import { sleep } from '../../../common/retry';
import { formatIst, istDate } from '../../../common/time';
import type { Broker } from '../broker/broker';
import type { SharedOrderRateLimiter } from '../broker/order-rate-limiter';
import type { AlgoControls } from '../controls/algo-controls';
import { type OPEN_STATUSES, quantityBreaks, round2 } from '../domain';
import type { Engine } from '../engine';
import type { FlagWatcher } from '../flag/flag-watcher';
import type { FlattenRequests } from '../flag/flatten-requests';
import type { ServiceBreakers } from '../health/circuit-breaker';
import type { DatabaseHealth } from '../health/database-health';
import { type FeedHealth, feedHealth } from '../health/feed-health';
import { readiness } from '../health/readiness';
import type { JournaledOrderRepository } from '../journal/journaled-repository';
import type { LeaseManager } from '../leases/lease-manager';
import type { MarketDataFeed } from '../market/feed';
import type { TradingSession } from '../market/session';
import type { OrderManager, ReconcileReport } from '../oms/order-manager';
import type { TradingDatabase } from '../oms/order-repository';
import type { Portfolio } from '../oms/portfolio';
import type { TradingStateMachine } from '../trading-state';
import type { Universe } from '../universe';

/** Who this task is, as `/state` tells it. */
export interface TradingViewsOptions {
  readonly stage: AnyStage;
  readonly mode: 'PAPER' | 'LIVE';
  readonly taskId: string;
  readonly limits: RiskLimits;
  readonly flagMaxStalenessMs: number;
  /** Feed freshness: FRESH up to this many seconds. @default 5 */
  readonly feedFreshSeconds?: number;
  /** Feed freshness: STALE up to this many seconds, then OUTDATED. @default 30 */
  readonly feedStaleSeconds?: number;
}

/** What the views read; they change nothing but the state machine's view of its inputs. */
export interface TradingViewsDeps {
  readonly db: TradingDatabase;
  readonly repo: JournaledOrderRepository;
  readonly oms: OrderManager;
  readonly engine: Engine;
  readonly portfolio: Portfolio;
  readonly states: TradingStateMachine;
  readonly flag: FlagWatcher;
  readonly leases: LeaseManager;
  readonly database: DatabaseHealth;
  readonly breakers: ServiceBreakers;
  readonly rate: SharedOrderRateLimiter;
  readonly broker: Broker;
  readonly feed: MarketDataFeed;
  readonly session: TradingSession;
  readonly universe: Universe;
  readonly flattenRequests: FlattenRequests;
  /** The algo IDs and their halts. */
  readonly algos: AlgoControls;
  /** The reconciliation of each strategy this task took over. */
  reconcileReports(): readonly ReconcileReport[];
  /** Whether the service has started (reconciled). */
  started(): boolean;
}

/**
 * The read side of the trading API: state, positions, orders, trades, reconciliation, broker,
 * feeds, breakers, rate limits and readiness.
 */
export class TradingViews {
  constructor(
    private readonly options: TradingViewsOptions,
    private readonly deps: TradingViewsDeps,
  ) {}

  /** The IST date of the session (the simulated session's, locally): no calendar lookup. */
  tradingDay(): string {
    return istDate(this.deps.session.now());
  }

  /** Strategies configured on this task (the manual one aside). */
  strategyIds(): string[] {
    return this.deps.engine.strategyIds();
  }

  /** The universe's instrument of that symbol, if it has one. */
  instrument(symbol: string) {
    return this.deps.universe.get(symbol);
  }

  /** Orders this task is working, from memory. */
  workingOrders() {
    return this.deps.oms.workingOrders();
  }

  /** Orders in PostgreSQL, newest first. */
  orders(filter: { status?: (typeof OPEN_STATUSES)[number]; limit: number }) {
    return this.deps.repo.listOrders(filter);
  }

  /** The trades (fills) of a trading day. */
  trades(day: string) {
    return this.deps.repo.tradesOn(day);
  }

  /** `/state`: the trading state and every input of it, the market, P&L, heat and leases. */
  stateView() {
    const { options, deps } = this;
    const { states, session, portfolio } = deps;
    states.update();
    const snap = states.snapshot();
    const status = session.status();
    const capital = options.limits.capitalInr;
    const daily = portfolio.dailyPnlInr();
    return {
      mode: options.mode,
      stage: options.stage,
      taskId: options.taskId,
      state: states.state(),
      cause: states.cause(),
      since: new Date(snap.since).toISOString(),
      flag: deps.flag.snapshot(),
      paused: snap.paused ?? null,
      riskHalt: snap.riskHalt ?? null,
      inputs: states.inputStates(),
      database: { ...deps.database.snapshot(), journalPending: deps.repo.pending() },
      market: {
        open: status.open,
        phase: status.phase,
        date: status.date,
        dayKind: status.day.kind,
        squareOffDue: status.squareOffDue,
        sessionClock: session.kind,
        nowIst: formatIst(session.now()),
        // The same instant for machines, and for the dashboard's UTC tooltip.
        now: new Date(session.now()).toISOString(),
        calendarWarning: status.day.calendarWarning ?? null,
      },
      pnl: {
        dailyInr: round2(daily),
        dailyPct: round2((daily / capital) * 100),
        realizedInr: round2(portfolio.realizedInr()),
        unrealizedInr: round2(portfolio.unrealizedInr()),
        dailyLossStopPct: options.limits.dailyLossStopPct,
      },
      heat: {
        pct: round2((portfolio.heatInr() / capital) * 100),
        capPct: options.limits.maxPortfolioHeatPct,
      },
      openPositions: portfolio.openPositions().length,
      workingOrders: deps.oms.workingOrders().length,
      strategies: { configured: deps.engine.strategyIds(), held: deps.leases.heldStrategies() },
      algos: deps.algos.view(),
      broker: { name: deps.broker.name, connected: deps.broker.connected() },
      lastFlattenRequest: deps.flattenRequests.view(),
      reconciliation: deps.reconcileReports(),
    };
  }

  /** Today's positions of every task, marked to the last price; `heldHere` for this task's. */
  async positionsView() {
    const { deps } = this;
    const positions = await deps.repo.positions(deps.session.status().date);
    const held = new Set(deps.leases.heldStrategies());
    return positions.map((p) => {
      const mark = deps.portfolio.quote(p.symbol)?.price;
      return {
        ...p,
        lastPrice: mark ?? null,
        unrealizedPnl:
          mark === undefined || p.quantity === 0 ? 0 : round2(p.quantity * (mark - p.avgPrice)),
        heldHere: held.has(p.strategyId),
      };
    });
  }

  /**
   * Our positions against the broker's, and orders the broker has not acknowledged for a while.
   * Pending writes are flushed first, and a difference must survive a second look, so that fills
   * in flight are not reported as breaks.
   */
  async reconciliationView(uncertainAfterMs = 10_000) {
    const { deps } = this;
    const compare = async () => {
      await deps.oms.drain();
      const ours = await deps.repo.positions(this.tradingDay());
      const theirs = await deps.broker.positions();
      const key = (s: string, sym: string) => `${s}/${sym}`;
      const a = new Map(
        ours.filter((p) => p.quantity !== 0).map((p) => [key(p.strategyId, p.symbol), p.quantity]),
      );
      const b = new Map(theirs.map((p) => [key(p.strategyId, p.symbol), p.quantity]));
      return quantityBreaks(a, b).map(({ key, ...m }) => ({ position: key, ...m }));
    };
    let mismatches = await compare();
    if (mismatches.length > 0) {
      await sleep(250);
      mismatches = await compare();
    }
    const now = Date.now();
    const uncertainOrders = deps.oms
      .workingOrders()
      .filter((o) => o.status === 'NEW' && now - o.createdAt > uncertainAfterMs)
      .map((o) => o.clientOrderId);
    return {
      ok: mismatches.length === 0 && uncertainOrders.length === 0,
      checkedAt: new Date(now).toISOString(),
      broker: deps.broker.name,
      mismatches,
      uncertainOrders,
    };
  }

  /** The broker: connected, and its named access tokens with their expiry. */
  async brokerView() {
    const { broker, breakers } = this.deps;
    const tokens = await broker.tokens();
    return {
      name: broker.name,
      connected: broker.connected(),
      circuitBreaker: breakers.broker.snapshot().state,
      tokens: tokens.map((t) => ({ name: t.name, expiresAt: new Date(t.expiresAt).toISOString() })),
    };
  }

  /** The market data feeds and their freshness. */
  feedsView(): FeedHealth[] {
    return [
      feedHealth(this.deps.feed, {
        freshSeconds: this.options.feedFreshSeconds ?? 5,
        staleSeconds: this.options.feedStaleSeconds ?? 30,
      }),
    ];
  }

  /** Every circuit breaker's snapshot. */
  breakersView() {
    return Object.values(this.deps.breakers).map((b) => b.snapshot());
  }

  /** The order-rate limiter's usage. */
  rateLimitsView() {
    return [this.deps.rate.view()];
  }

  /** Readiness: database, broker, feed (while the market is open) and a fresh flag read. */
  ready() {
    const { deps } = this;
    return readiness({
      pingDatabase: () => deps.db.durable.query('SELECT 1'),
      broker: () => ({ name: deps.broker.name, connected: deps.broker.connected() }),
      feed: () => this.feedsView()[0],
      marketOpen: () => deps.session.status().open,
      flag: () => deps.flag.snapshot(),
      flagMaxStalenessMs: this.options.flagMaxStalenessMs,
      started: () => deps.started(),
    });
  }
}

/** `/state`'s answer. */
export type StateView = ReturnType<TradingViews['stateView']>;
