import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { METRIC_NAMESPACE } from '../../../contract/metrics';
import { type AnyStage, type OperatorNames, operatorNames } from '../../../contract/names';
import type { RiskLimits } from '../../../contract/risk-limits';
import type { AuditEntry } from '../../common/db/audit';
import { auditOrDefer, FileAuditSpool, flushAuditSpool } from '../../common/db/audit-spool';
import type { ParameterStore } from '../../common/parameters/parameter-store';
import { sleep } from '../../common/retry';
import { formatIst, istDate } from '../../common/time';
import type { Broker } from './broker/broker';
import type { SharedOrderRateLimiter } from './broker/order-rate-limiter';
import { ControlsRepository } from './controls-repository';
import { quantityBreaks, type TradingState } from './domain';
import { Engine } from './engine';
import { type FlagSnapshot, FlagWatcher } from './flag/flag-watcher';
import { FlattenRequests } from './flag/flatten-requests';
import { guardedParameterStore } from './flag/guarded-parameter-store';
import { CircuitBreaker } from './health/circuit-breaker';
import { DatabaseHealth, isDatabaseUnavailable } from './health/database-health';
import { type FeedHealth, feedHealth } from './health/feed-health';
import { readiness } from './health/readiness';
import { JournaledOrderRepository } from './journal/journaled-repository';
import { OrderJournal } from './journal/order-journal';
import { LeaseManager } from './leases/lease-manager';
import type { MarketDataFeed } from './market/feed';
import type { TradingSession } from './market/session';
import { Metrics } from './metrics/metrics';
import { summarizeFlatten } from './oms/flatten-summary';
import { type FlattenResult, OrderManager, type ReconcileReport } from './oms/order-manager';
import type { TradingDatabase } from './oms/order-repository';
import { Portfolio } from './oms/portfolio';
import { PeriodicTasks } from './periodic';
import { DuplicateDetector } from './risk/duplicate-detector';
import { PreTradeRisk } from './risk/pre-trade-risk';
import { RiskEventWriter } from './risk/risk-event-writer';
import { createStrategy, loadStrategyConfigs, MANUAL_STRATEGY_ID } from './strategies/registry';
import type { StrategyConfig } from './strategies/strategy-config';
import {
  type Control,
  STATE_CODE,
  type StateTransition,
  sameControl,
  TradingStateMachine,
} from './trading-state';
import type { Universe } from './universe';

export interface TradingServiceOptions {
  readonly stage: AnyStage;
  readonly mode: 'PAPER' | 'LIVE';
  readonly taskId: string;
  readonly limits: RiskLimits;
  readonly flagPollMs: number;
  readonly flagMaxStalenessMs: number;
  readonly leaseTtlMs: number;
  /** Write CloudWatch EMF lines to stdout every `metricsIntervalMs`. */
  readonly emf: boolean;
  readonly metricsIntervalMs: number;
  readonly strategiesFile?: string;
  /** Feed freshness: FRESH up to this many seconds. @default 5 */
  readonly feedFreshSeconds?: number;
  /** Feed freshness: STALE up to this many seconds, then OUTDATED. @default 30 */
  readonly feedStaleSeconds?: number;
  /** How long a breaker stays OPEN before its trial call. @default 30000 broker, 10000 flag store */
  readonly breakerResetMs?: number;
  /** A broker call (submit, cancel, probe) fails after this long. @default 5000 */
  readonly brokerTimeoutMs?: number;
  /**
   * Where this task keeps its outage journal and audit spool (a folder of its own).
   * @default <tmpdir>/algo-trading-journal/<taskId>
   */
  readonly journalDir?: string;
}

export interface TradingServiceDeps {
  readonly db: TradingDatabase;
  readonly parameters: ParameterStore;
  /** The broker behind its order-rate door (`withOrderRateLimit`). */
  readonly broker: Broker;
  /** The client's shared order-rate limiter that `broker` takes its slots from. */
  readonly orderRate: SharedOrderRateLimiter;
  readonly feed: MarketDataFeed;
  readonly session: TradingSession;
  readonly universe: Universe;
  readonly strategies: readonly StrategyConfig[];
  readonly log: Logger;
  /** Where EMF lines go. @default stdout */
  readonly emfSink?: (line: string) => void;
}

/** Who asked for a control action, and why: every one is audited. */
export interface Actor {
  readonly requestedBy: string;
  readonly reason: string;
}

/**
 * The trading service: flag-obeying, risk-checked, lease-fenced, reconciled with the broker
 * before it trades. This class wires the parts and carries out the control actions of the API;
 * the HTTP layer only translates.
 */
export class TradingService {
  readonly metrics = new Metrics();
  readonly portfolio = new Portfolio();
  readonly flag: FlagWatcher;
  readonly states: TradingStateMachine;
  readonly oms: OrderManager;
  readonly leases: LeaseManager;
  readonly engine: Engine;
  readonly rate: SharedOrderRateLimiter;
  readonly breakers: { readonly broker: CircuitBreaker; readonly parameters: CircuitBreaker };
  readonly repo: JournaledOrderRepository;
  readonly universe: Universe;
  /** Whether PostgreSQL answers: an input of the trading state. */
  readonly database: DatabaseHealth;
  private readonly controls: ControlsRepository;
  private readonly riskEvents: RiskEventWriter;
  /** Audit rows of actions taken while PostgreSQL is unreachable, written when it returns. */
  private readonly spool: FileAuditSpool;
  private readonly flattenRequests: FlattenRequests;
  private readonly periodic: PeriodicTasks;
  private reconcileReports: ReconcileReport[] = [];
  private started = false;
  private stopping?: Promise<void>;
  private readonly names: OperatorNames;

  constructor(
    private readonly options: TradingServiceOptions,
    private readonly deps: TradingServiceDeps,
  ) {
    const { log } = deps;
    this.names = operatorNames(options.stage);
    this.universe = deps.universe;
    this.periodic = new PeriodicTasks(log);
    this.controls = new ControlsRepository(deps.db.durable);
    this.database = new DatabaseHealth(deps.db.durable);
    const journalDir =
      options.journalDir ?? path.join(os.tmpdir(), 'algo-trading-journal', options.taskId);
    this.spool = new FileAuditSpool(path.join(journalDir, 'audit-spool.jsonl'));
    this.repo = new JournaledOrderRepository(
      deps.db,
      new OrderJournal(path.join(journalDir, 'order-journal.jsonl')),
      this.database,
      this.controls,
    );
    this.riskEvents = new RiskEventWriter(deps.db.relaxed, (err) =>
      log.error({ err }, 'writing risk events failed'),
    );
    this.rate = deps.orderRate;
    this.breakers = {
      broker: new CircuitBreaker('broker', {
        failureThreshold: 5,
        resetTimeoutMs: options.breakerResetMs ?? 30_000,
        callTimeoutMs: options.brokerTimeoutMs ?? 5000,
      }),
      // A flag read answers within the watcher's 2 s or counts as failed.
      parameters: new CircuitBreaker('parameter-store', {
        failureThreshold: 5,
        resetTimeoutMs: options.breakerResetMs ?? 10_000,
        callTimeoutMs: 2000,
      }),
    };

    this.flag = new FlagWatcher(
      guardedParameterStore(deps.parameters, this.breakers.parameters),
      {
        flagParameter: this.names.flagParameter,
        flattenRequestParameter: this.names.flattenRequestParameter,
        pollMs: options.flagPollMs,
        maxStalenessMs: options.flagMaxStalenessMs,
        onError: (err) => log.error({ err }, 'flag listener failed'),
      },
      {
        onFlag: () => this.states.update(),
        onFlattenRequest: (request, writtenAt) => {
          this.flattenRequests
            .onRequest(request, writtenAt)
            .catch((err: unknown) =>
              log.error(
                { err, request },
                'handling the flatten request failed; the next read retries',
              ),
            );
        },
        onInvalidFlattenRequest: (raw, problem) =>
          log.warn({ raw, problem }, 'ignoring a malformed flatten request'),
      },
    );
    this.states = new TradingStateMachine(this.flag, (t) => this.onTransition(t), Date.now, [
      { name: 'database', cause: () => this.database.cause() },
      {
        name: 'leases',
        cause: () =>
          this.leases.heldStrategies().length === 0
            ? 'holds no strategy lease: other tasks hold them, or this task has not taken them yet'
            : undefined,
      },
      ...Object.values(this.breakers).map((b) => ({
        name: `breaker:${b.name}`,
        cause: () => b.openCause(),
      })),
    ]);

    const risk = new PreTradeRisk(
      options.limits,
      {
        state: () => this.states.state(),
        marketOpen: () => deps.session.status().open,
        instrument: (symbol) => deps.universe.get(symbol),
        quote: (symbol) => this.portfolio.quote(symbol),
        position: (strategyId, symbol) => this.portfolio.position(strategyId, symbol),
        workingReduceQuantity: (strategyId, symbol) =>
          this.oms.workingReduceQuantity(strategyId, symbol),
        netQuantity: (symbol) => this.portfolio.netQuantity(symbol),
        heatInr: () => this.portfolio.heatInr(),
        dailyPnlInr: () => this.portfolio.dailyPnlInr(),
      },
      this.rate,
      new DuplicateDetector(options.limits.duplicateWindowMs),
    );

    this.leases = new LeaseManager(
      deps.db.durable,
      {
        taskId: options.taskId,
        ttlMs: options.leaseTtlMs,
        onError: (err) => log.error({ err }, 'lease round failed'),
      },
      {
        onAcquired: async (strategyId, token) => {
          const report = await this.oms.takeOver(strategyId);
          this.reconcileReports = [
            ...this.reconcileReports.filter((r) => r.strategyId !== strategyId),
            report,
          ];
          log.info(
            { strategyId, fenceToken: token, report },
            'strategy lease acquired and reconciled',
          );
          if (report.positionMismatches.length > 0) {
            await this.riskHalt(
              'RECONCILIATION_MISMATCH',
              `positions differ from the broker for ${strategyId}`,
              { mismatches: report.positionMismatches },
            );
          }
          await this.flattenRequests.evaluate();
        },
        onLost: (strategyId, why) => {
          log.warn({ strategyId, why }, 'strategy lease lost: its orders stop here');
          this.oms.release(strategyId);
        },
      },
    );

    this.oms = new OrderManager({
      repo: this.repo,
      broker: deps.broker,
      breaker: this.breakers.broker,
      portfolio: this.portfolio,
      risk,
      riskEvents: this.riskEvents,
      metrics: this.metrics,
      log,
      taskId: options.taskId,
      lease: (strategyId, purpose) => this.leases.lease(strategyId, purpose),
      databaseDown: () => this.database.cause(),
      tradingDay: () => this.tradingDay(),
      state: () => this.states.state(),
    });

    this.engine = new Engine({
      oms: this.oms,
      portfolio: this.portfolio,
      universe: deps.universe,
      session: deps.session,
      limits: options.limits,
      log,
      holds: (strategyId) => this.leases.lease(strategyId) !== undefined,
      state: () => this.states.state(),
      squareOff: async () => {
        const reason = 'EOD square-off 15:25 IST';
        await this.auditFlatten(
          this.self(reason),
          'eod-square-off',
          await this.oms.flatten(reason, false),
        );
      },
      newTradingDay: () => this.portfolio.startDay(),
    });
    this.engine.setStrategies(deps.strategies.map(createStrategy));

    this.flattenRequests = new FlattenRequests({
      metrics: this.metrics,
      started: () => this.started,
      held: () => this.leases.heldStrategies('exit'),
      flag: () => this.flag.snapshot(),
      claim: (request, strategyIds) => this.claimFlatten(request, strategyIds),
      flatten: (request, only) =>
        this.oms.flatten(`flatten request ${request.id}: ${request.reason}`, false, {
          tag: request.id.slice(0, 12),
          only,
        }),
      report: async (request, strategies, result) => {
        await this.controls
          .recordFlattenResult(request.id, strategies, summarizeFlatten(result))
          .catch((err: unknown) => log.warn({ err }, 'flatten result not recorded; audited'));
        await this.auditFlatten(
          {
            requestedBy: request.requester,
            reason: `flatten request ${request.id}: ${request.reason}`,
          },
          'flatten-request',
          result,
          { requestId: request.id, strategies },
        );
      },
    });
  }

  /**
   * Starts in HALTED. Reads the controls and the flag, takes the strategy leases it can get
   * (reconciling each with the broker), and only then lets the feed drive the strategies.
   */
  async start(): Promise<void> {
    const { deps, options } = this;
    await this.database.probe();
    await this.catchUp();
    await this.syncControls();
    await this.flag.poll();
    await this.leases.setStrategies([...this.engine.strategyIds(), MANUAL_STRATEGY_ID]);
    await this.leases.tick();
    this.flag.start();
    this.leases.start();
    this.riskEvents.start();
    deps.feed.start((tick) => {
      this.engine.onTick(tick);
      deps.broker.onQuote?.(tick.symbol);
    });
    this.periodic.every(200, () => this.evaluate());
    this.periodic.every(500, () => this.watchDatabase());
    this.periodic.every(1000, () => this.syncControls());
    this.periodic.every(5000, () => this.oms.reconcileUncertain().then(() => undefined));
    if (options.emf) this.periodic.every(options.metricsIntervalMs, () => this.emitEmf());
    this.started = true;
    this.states.update();
    deps.log.info(
      { state: this.states.state(), held: this.leases.heldStrategies() },
      'trading service started',
    );
  }

  /**
   * SIGTERM: halt, cancel every working order, persist, release the leases. Positions stay open:
   * a deploy must not flatten the book; the next task takes the strategies over.
   */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    const { deps } = this;
    this.states.beginShutdown(reason);
    this.periodic.stop();
    this.flag.stop();
    deps.feed.stop();
    const cancelled = await this.oms
      .cancelWorking('all', `service stopping: ${reason}`)
      .catch((err: unknown) => {
        deps.log.error({ err }, 'cancelling working orders at shutdown failed');
        return { cancelled: [], failed: [] };
      });
    await this.oms.drain();
    await this.riskEvents.stop();
    await this.leases.stop();
    if (this.options.emf) this.emitEmf();
    await deps.broker.close();
    deps.log.info(
      { reason, cancelled: cancelled.cancelled.length, failed: cancelled.failed.length },
      'trading service stopped',
    );
  }

  // ---- control actions (every one audited) ----

  async pause(actor: Actor): Promise<{ state: TradingState }> {
    const before = this.states.state();
    await this.controls.set('pause', true, actor.requestedBy, { reason: actor.reason });
    this.states.setPaused({ by: actor.requestedBy, reason: actor.reason, at: Date.now() });
    const after = this.states.state();
    await this.audit(actor, 'pause', { state: before }, { state: after });
    return { state: after };
  }

  async unpause(actor: Actor): Promise<{ state: TradingState }> {
    const before = this.states.state();
    await this.controls.set('pause', false, actor.requestedBy, { reason: actor.reason });
    this.states.setPaused(undefined);
    const after = this.states.state();
    await this.audit(actor, 'unpause', { state: before }, { state: after });
    return { state: after };
  }

  /** The push path of the emergency stop: HALTED now, until a newer flag version says "true". */
  async pushHalt(actor: Actor): Promise<{ state: TradingState; flag: FlagSnapshot }> {
    const before = this.states.state();
    const flag = this.flag.pushHalt(actor.requestedBy, actor.reason);
    const after = this.states.state();
    await this.audit(actor, 'control-halt', { state: before }, { state: after });
    return { state: after, flag };
  }

  async flatten(actor: Actor, dryRun: boolean): Promise<FlattenResult> {
    const result = await this.oms.flatten(actor.reason, dryRun);
    if (!dryRun) await this.auditFlatten(actor, 'flatten', result);
    return result;
  }

  async resetRiskHalt(actor: Actor): Promise<{ state: TradingState; cleared?: Control }> {
    const cleared = this.states.snapshot().riskHalt;
    const before = this.states.state();
    await this.controls.set('risk_halt', false, actor.requestedBy, { reason: actor.reason });
    this.states.setRiskHalt(undefined);
    this.metrics.set('algo_daily_loss_stop_hit', 0);
    const after = this.states.state();
    await this.audit(
      actor,
      'reset-risk-halt',
      { state: before, riskHalt: cleared },
      { state: after },
      cleared ? 'OK' : 'REFUSED',
    );
    return { state: after, cleared };
  }

  async reloadUniverse(actor: Actor) {
    try {
      const change = await this.deps.universe.reload();
      await this.audit(actor, 'universe-reload', undefined, change);
      return change;
    } catch (error) {
      await this.audit(actor, 'universe-reload', undefined, { error: String(error) }, 'FAILED');
      throw error;
    }
  }

  async reloadStrategies(actor: Actor) {
    const before = this.engine.strategyIds();
    try {
      const configs = await loadStrategyConfigs(this.options.strategiesFile, this.deps.universe);
      const strategies = configs.map(createStrategy);
      const after = strategies.map((s) => s.id);
      for (const removed of before.filter((id) => !after.includes(id))) this.oms.release(removed);
      this.engine.setStrategies(strategies);
      await this.leases.setStrategies([...after, MANUAL_STRATEGY_ID]);
      await this.audit(actor, 'strategies-reload', { strategies: before }, { strategies: after });
      return { before, after };
    } catch (error) {
      await this.audit(
        actor,
        'strategies-reload',
        { strategies: before },
        { error: String(error) },
        'FAILED',
      );
      throw error;
    }
  }

  async resetBreaker(name: string, actor: Actor) {
    const breaker = Object.values(this.breakers).find((b) => b.name === name);
    if (!breaker) return undefined;
    const before = breaker.reset(actor.requestedBy);
    await this.audit(actor, 'circuit-breaker-reset', before, breaker.snapshot());
    return breaker.snapshot();
  }

  // ---- views ----

  /** The IST date of the session (the simulated session's, locally): no calendar lookup. */
  tradingDay(): string {
    return istDate(this.deps.session.now());
  }

  stateView() {
    this.states.update();
    const { options, deps } = this;
    const snap = this.states.snapshot();
    const status = deps.session.status();
    const capital = options.limits.capitalInr;
    const daily = this.portfolio.dailyPnlInr();
    return {
      mode: options.mode,
      stage: options.stage,
      taskId: options.taskId,
      state: this.states.state(),
      cause: this.states.cause(),
      since: new Date(snap.since).toISOString(),
      flag: this.flag.snapshot(),
      paused: snap.paused ?? null,
      riskHalt: snap.riskHalt ?? null,
      inputs: this.states.inputStates(),
      database: { ...this.database.snapshot(), journalPending: this.repo.pending() },
      market: {
        open: status.open,
        phase: status.phase,
        date: status.date,
        dayKind: status.day.kind,
        squareOffDue: status.squareOffDue,
        sessionClock: deps.session.kind,
        nowIst: formatIst(deps.session.now()),
        // The same instant for machines, and for the dashboard's UTC tooltip.
        now: new Date(deps.session.now()).toISOString(),
        calendarWarning: status.day.calendarWarning ?? null,
      },
      pnl: {
        dailyInr: round2(daily),
        dailyPct: round2((daily / capital) * 100),
        realizedInr: round2(this.portfolio.realizedInr()),
        unrealizedInr: round2(this.portfolio.unrealizedInr()),
        dailyLossStopPct: options.limits.dailyLossStopPct,
      },
      heat: {
        pct: round2((this.portfolio.heatInr() / capital) * 100),
        capPct: options.limits.maxPortfolioHeatPct,
      },
      openPositions: this.portfolio.openPositions().length,
      workingOrders: this.oms.workingOrders().length,
      strategies: { configured: this.engine.strategyIds(), held: this.leases.heldStrategies() },
      broker: { name: deps.broker.name, connected: deps.broker.connected() },
      lastFlattenRequest: this.flattenRequests.view(),
      reconciliation: this.reconcileReports,
    };
  }

  async positionsView() {
    const positions = await this.repo.positions(this.deps.session.status().date);
    const held = new Set(this.leases.heldStrategies());
    return positions.map((p) => {
      const mark = this.portfolio.quote(p.symbol)?.price;
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
    const compare = async () => {
      await this.oms.drain();
      const ours = await this.repo.positions(this.tradingDay());
      const theirs = await this.deps.broker.positions();
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
    const uncertainOrders = this.oms
      .workingOrders()
      .filter((o) => o.status === 'NEW' && now - o.createdAt > uncertainAfterMs)
      .map((o) => o.clientOrderId);
    return {
      ok: mismatches.length === 0 && uncertainOrders.length === 0,
      checkedAt: new Date(now).toISOString(),
      broker: this.deps.broker.name,
      mismatches,
      uncertainOrders,
    };
  }

  /** The broker: connected, and its named access tokens with their expiry. */
  async brokerView() {
    const tokens = await this.deps.broker.tokens();
    return {
      name: this.deps.broker.name,
      connected: this.deps.broker.connected(),
      circuitBreaker: this.breakers.broker.snapshot().state,
      tokens: tokens.map((t) => ({ name: t.name, expiresAt: new Date(t.expiresAt).toISOString() })),
    };
  }

  feedsView(): FeedHealth[] {
    return [
      feedHealth(this.deps.feed, {
        freshSeconds: this.options.feedFreshSeconds ?? 5,
        staleSeconds: this.options.feedStaleSeconds ?? 30,
      }),
    ];
  }

  breakersView() {
    return Object.values(this.breakers).map((b) => b.snapshot());
  }

  rateLimitsView() {
    return [this.rate.view()];
  }

  /** Readiness: database, broker, feed (while the market is open) and a fresh flag read. */
  ready() {
    const { deps } = this;
    return readiness({
      pingDatabase: () => deps.db.durable.query('SELECT 1'),
      broker: () => ({ name: deps.broker.name, connected: deps.broker.connected() }),
      feed: () => this.feedsView()[0],
      marketOpen: () => deps.session.status().open,
      flag: () => this.flag.snapshot(),
      flagMaxStalenessMs: this.options.flagMaxStalenessMs,
      started: () => this.started,
    });
  }

  // ---- internals ----

  /** Every 200 ms: state, session clock, the daily loss stop and the heat cap, gauges. */
  private async evaluate(): Promise<void> {
    // Nothing else calls the broker while trading is halted by its open breaker.
    void this.breakers.broker.probe(() => this.deps.broker.positions());
    this.states.update();
    await this.engine.onClock();
    const { limits } = this.options;
    const capital = limits.capitalInr;
    const figures = this.portfolio.figures();
    const dailyPct = (figures.dailyInr / capital) * 100;
    const heatPct = (figures.heatInr / capital) * 100;
    const state = this.states.state();
    if (dailyPct <= -limits.dailyLossStopPct && state !== 'HARD_HALT') {
      this.metrics.set('algo_daily_loss_stop_hit', 1);
      await this.riskHalt(
        'DAILY_LOSS_STOP',
        `daily P&L ${dailyPct.toFixed(2)}% hit the ${limits.dailyLossStopPct}% loss stop`,
        { dailyPct },
      );
      const result = await this.oms.flatten('daily loss stop', false);
      await this.auditFlatten(this.self('daily loss stop'), 'flatten', result);
    } else if (heatPct > limits.maxPortfolioHeatPct && state !== 'HARD_HALT') {
      // Blocking new entries cannot lower heat; cancelling working entries might, else halt.
      await this.oms.cancelWorking('entries', `portfolio heat ${heatPct.toFixed(2)}% over cap`);
      if ((this.portfolio.heatInr() / capital) * 100 > limits.maxPortfolioHeatPct) {
        await this.riskHalt(
          'HEAT_CAP_BREACH',
          `portfolio heat ${heatPct.toFixed(2)}% is over the ${limits.maxPortfolioHeatPct}% cap`,
          { heatPct },
        );
      }
    }
    this.updateGauges(figures, dailyPct, heatPct);
  }

  private updateGauges(
    figures: ReturnType<Portfolio['figures']>,
    dailyPct: number,
    heatPct: number,
  ): void {
    const m = this.metrics;
    const flag = this.flag.snapshot();
    m.set('algo_trading_state', STATE_CODE[this.states.state()]);
    m.set('algo_flag_enabled', flag.enabled ? 1 : 0);
    m.set('algo_flag_age_seconds', flag.ageSeconds ?? this.options.flagMaxStalenessMs / 1000 + 1);
    m.set('algo_daily_pnl_inr', round2(figures.dailyInr));
    m.set('algo_daily_pnl_pct', round2(dailyPct));
    m.set('algo_realized_pnl_inr', round2(figures.realizedInr));
    m.set('algo_unrealized_pnl_inr', round2(figures.unrealizedInr));
    m.set('algo_portfolio_heat_pct', round2(heatPct));
    m.set('algo_broker_connected', this.deps.broker.connected() ? 1 : 0);
    const marketOpen = this.deps.session.status().open;
    const feeds = this.feedsView();
    for (const feed of feeds)
      m.set('algo_feed_lag_seconds', feed.tick_lag_sec ?? 9999, { feed: feed.source });
    m.set('algo_feed_stale', marketOpen && feeds.some((f) => f.status !== 'FRESH') ? 1 : 0);
    for (const b of this.breakersView())
      m.set('algo_circuit_breaker_open', b.state === 'CLOSED' ? 0 : 1, { breaker: b.name });
    for (const r of this.rateLimitsView())
      m.set('algo_rate_limit_usage_pct', r.usagePct, { upstream: r.upstream });
  }

  private emitEmf(): void {
    this.metrics.set('algo_orders_per_second', this.rate.takePeak());
    const sink = this.deps.emfSink ?? ((line: string) => process.stdout.write(`${line}\n`));
    for (const line of this.metrics.emf(METRIC_NAMESPACE, this.options.stage)) sink(line);
  }

  /** Probes the database; once it answers, copies the journal and the audit spool into it. */
  private async watchDatabase(): Promise<void> {
    const wasDown = !this.database.reachable();
    if (!(await this.database.probe())) return;
    if (wasDown || this.repo.pending() > 0) await this.catchUp();
    this.states.update();
  }

  /** Journal first (orders before their audit rows), then the audit spool, both in order. */
  private async catchUp(): Promise<void> {
    const left = await this.repo.replay();
    const { written, remaining } = await flushAuditSpool(this.deps.db.durable, this.spool);
    if (written > 0 || left > 0 || remaining > 0)
      this.deps.log.warn(
        { journalLeft: left, auditWritten: written, auditLeft: remaining },
        'database back: outage journal copied',
      );
  }

  /**
   * Claims a flatten request in PostgreSQL. While it is unreachable the lease is the claim (only
   * its holder flattens a strategy) and the claim row goes to the journal.
   */
  private async claimFlatten(
    request: { id: string; reason: string; requester: string },
    strategyIds: readonly string[],
  ): Promise<string[]> {
    try {
      return await this.controls.claimFlattenRequest(request, strategyIds, this.options.taskId);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      this.database.report(error);
      await this.repo.recordFlattenClaim(request, strategyIds, this.options.taskId);
      return [...strategyIds];
    }
  }

  /** Pause and the risk halt are service-wide: every task applies what the database says. */
  private async syncControls(): Promise<void> {
    if (!this.database.reachable()) return;
    const controls = await this.controls.read();
    const snap = this.states.snapshot();
    if (!sameControl(snap.paused, controls.pause)) this.states.setPaused(controls.pause);
    if (!sameControl(snap.riskHalt, controls.risk_halt))
      this.states.setRiskHalt(controls.risk_halt);
    const held = this.leases.heldStrategies();
    this.portfolio.setOthers(
      await this.repo.positions(this.deps.session.status().date, { except: held }),
    );
  }

  private async riskHalt(
    cause: string,
    reason: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    const actor = this.self(`${cause}: ${reason}`);
    const by = actor.requestedBy;
    const before = this.states.state();
    await this.controls.set('risk_halt', true, by, {
      reason: actor.reason,
      cause,
      ...detail,
    });
    this.states.setRiskHalt({
      by,
      reason: actor.reason,
      at: Date.now(),
      detail: { cause, ...detail },
    });
    this.riskEvents.record({
      kind: 'BREACH',
      rule: cause,
      detail: { reason, ...detail },
      at: Date.now(),
    });
    this.deps.log.error({ cause, reason, ...detail }, 'RISK HALT');
    await this.audit(actor, 'risk-halt', { state: before }, { state: 'HARD_HALT', cause });
  }

  private onTransition(t: StateTransition): void {
    const { log } = this.deps;
    const level = t.to === 'ACTIVE' ? 'info' : 'warn';
    log[level]({ from: t.from, to: t.to, cause: t.cause }, `trading state ${t.from} -> ${t.to}`);
    this.metrics.inc('algo_state_transitions_total', { to: t.to });
    this.metrics.set('algo_trading_state', STATE_CODE[t.to]);
    void this.audit(this.self(t.cause), 'state-transition', { state: t.from }, { state: t.to });
    if (this.started && (t.to === 'HALTED' || t.to === 'HARD_HALT')) {
      void this.oms
        .cancelWorking('entries', `state ${t.to}: ${t.cause}`)
        .catch((err: unknown) => log.error({ err }, 'cancelling entries failed'));
    }
  }

  /** The service itself as the actor of what it does on its own (square-off, loss stop). */
  private self(reason: string): Actor {
    return { requestedBy: `trading-service/${this.options.taskId}`, reason };
  }

  private auditFlatten(
    actor: Actor,
    action: string,
    result: FlattenResult,
    before?: unknown,
  ): Promise<void> {
    return this.audit(
      actor,
      action,
      before,
      summarizeFlatten(result),
      result.failed.length ? 'PARTIAL' : 'OK',
    );
  }

  private async audit(
    actor: Actor,
    action: string,
    before: unknown,
    after: unknown,
    outcome: AuditEntry['outcome'] = 'OK',
  ): Promise<void> {
    const entry: AuditEntry = {
      actor: actor.requestedBy,
      source: 'service',
      action,
      reason: actor.reason,
      stage: this.options.stage,
      before,
      after,
      outcome,
      result: { taskId: this.options.taskId },
    };
    try {
      // Straight to the spool while the database is known to be down: no connection attempt.
      const db = this.database.reachable() ? this.deps.db.durable : undefined;
      const write = await auditOrDefer(db, this.spool, entry);
      if (!write.written)
        this.deps.log.warn({ action, because: write.deferredBecause }, 'audit deferred');
    } catch (err) {
      // The action happened; losing its audit row is itself worth an alarm (ERROR in the logs).
      this.deps.log.error({ err, entry }, 'writing the audit row failed');
    }
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;
