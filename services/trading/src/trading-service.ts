import type { Logger } from 'pino';
import { type FileAuditSpool, flushAuditSpool } from '../../common/db/audit-spool';
import type { Actor, ReloadRequest, TradingApi } from './api';
import type { Broker } from './broker/broker';
import type { AlgoControls } from './controls/algo-controls';
import type { ControlActions } from './controls/control-actions';
import type { ControlsRepository } from './controls-repository';
import type { OrderRequest } from './domain';
import type { Engine } from './engine';
import type { FlagWatcher } from './flag/flag-watcher';
import type { ServiceBreakers } from './health/circuit-breaker';
import type { DatabaseHealth } from './health/database-health';
import type { JournaledOrderRepository } from './journal/journaled-repository';
import type { LeaseManager } from './leases/lease-manager';
import type { MarketDataFeed } from './market/feed';
import type { TradingSession } from './market/session';
import type { Gauges } from './metrics/gauges';
import type { Metrics } from './metrics/metrics';
import type { OrderManager } from './oms/order-manager';
import type { TradingDatabase } from './oms/order-repository';
import type { Portfolio } from './oms/portfolio';
import type { PeriodicTasks } from './periodic';
import type { MarginCheck } from './risk/margin-check';
import type { PostTradeRisk } from './risk/post-trade-risk';
import type { PriceBandCheck } from './risk/price-bands';
import type { RiskEventWriter } from './risk/risk-event-writer';
import { MANUAL_STRATEGY_ID } from './strategies/registry';
import { sameControl, type TradingStateMachine } from './trading-state';
import type { TradingViews } from './views/trading-views';

/** The parts `compose.ts` wires; the service runs them and answers the API through them. */
export interface TradingServiceParts {
  /** Write CloudWatch EMF lines to stdout every `metricsIntervalMs`. */
  readonly emf: boolean;
  readonly metricsIntervalMs: number;
  readonly log: Logger;
  readonly db: TradingDatabase;
  /** Audit rows of actions taken while PostgreSQL is unreachable, written when it returns. */
  readonly spool: FileAuditSpool;
  readonly broker: Broker;
  readonly feed: MarketDataFeed;
  readonly session: TradingSession;
  readonly metrics: Metrics;
  readonly portfolio: Portfolio;
  readonly states: TradingStateMachine;
  readonly flag: FlagWatcher;
  readonly leases: LeaseManager;
  readonly engine: Engine;
  readonly oms: OrderManager;
  readonly repo: JournaledOrderRepository;
  /** Pause and risk halt as stored in PostgreSQL, shared by every task. */
  readonly controlStore: ControlsRepository;
  /** Halted algos as stored in PostgreSQL, shared by every task. */
  readonly algos: AlgoControls;
  /** Whether PostgreSQL answers: an input of the trading state. */
  readonly database: DatabaseHealth;
  readonly breakers: ServiceBreakers;
  readonly riskEvents: RiskEventWriter;
  readonly controls: ControlActions;
  readonly views: TradingViews;
  readonly postTradeRisk: PostTradeRisk;
  readonly gauges: Gauges;
  readonly periodic: PeriodicTasks;
  /** The broker's available margin, with a broker that reports it: read every second. */
  readonly margin?: MarginCheck;
  /** The exchange's circuit limits, with a broker that reports them: read every 30 s. */
  readonly bands?: PriceBandCheck;
}

/**
 * The trading service: flag-obeying, risk-checked, lease-fenced, reconciled with the broker
 * before it trades. It runs the parts `compose.ts` wired (start, the periodic rounds, stop) and
 * answers the API through them; the HTTP layer only translates.
 */
export class TradingService implements TradingApi {
  readonly metrics: Metrics;
  private started = false;
  private stopping?: Promise<void>;
  private stopRequested = false;

  constructor(private readonly parts: TradingServiceParts) {
    this.metrics = parts.metrics;
  }

  /** Whether `stop` has begun: shutdown cancels every working order itself, with its own reason. */
  isStopping(): boolean {
    return this.stopRequested;
  }

  /** Whether `start` has finished: the strategies are reconciled and the feed drives them. */
  isStarted(): boolean {
    return this.started;
  }

  /**
   * Starts in HALTED. Reads the controls and the flag, takes the strategy leases it can get
   * (reconciling each with the broker), and only then lets the feed drive the strategies.
   */
  async start(): Promise<void> {
    const { parts } = this;
    await parts.database.probe();
    await this.catchUp();
    await this.syncControls();
    await parts.flag.poll();
    await parts.leases.setStrategies([...parts.engine.strategyIds(), MANUAL_STRATEGY_ID]);
    await parts.leases.tick();
    parts.flag.start();
    parts.leases.start();
    parts.riskEvents.start();
    parts.feed.start((tick) => {
      parts.engine.onTick(tick);
      parts.broker.onQuote?.(tick.symbol);
    });
    parts.periodic.every(200, () => this.evaluate());
    parts.periodic.every(500, () => this.watchDatabase());
    parts.periodic.every(1000, () => this.syncControls());
    parts.periodic.every(5000, () => parts.oms.reconcileUncertain().then(() => undefined));
    const { margin } = parts;
    if (margin) {
      await margin.refresh();
      parts.periodic.every(1000, () => margin.refresh());
    }
    const { bands } = parts;
    if (bands) {
      await bands.refresh();
      parts.periodic.every(30_000, () => bands.refresh());
    }
    if (parts.emf) parts.periodic.every(parts.metricsIntervalMs, () => parts.gauges.emitEmf());
    this.started = true;
    parts.states.update();
    parts.log.info(
      { state: parts.states.state(), held: parts.leases.heldStrategies() },
      'trading service started',
    );
  }

  /**
   * SIGTERM: halt, cancel every working order, persist, release the leases. Positions stay open:
   * a deploy must not flatten the book; the next task takes the strategies over.
   */
  stop(reason: string): Promise<void> {
    // Set before `shutdown` runs: its first step (the halt) is seen as part of stopping.
    this.stopRequested = true;
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    const { parts } = this;
    parts.states.beginShutdown(reason);
    parts.periodic.stop();
    parts.flag.stop();
    parts.feed.stop();
    const cancelled = await parts.oms
      .cancelWorking('all', `service stopping: ${reason}`)
      .catch((err: unknown) => {
        parts.log.error({ err }, 'cancelling working orders at shutdown failed');
        return { cancelled: [], failed: [] };
      });
    await parts.oms.drain();
    await parts.riskEvents.stop();
    await parts.leases.stop();
    if (parts.emf) parts.gauges.emitEmf();
    await parts.broker.close();
    parts.log.info(
      { reason, cancelled: cancelled.cancelled.length, failed: cancelled.failed.length },
      'trading service stopped',
    );
  }

  // ---- the API: orders, control actions, views ----

  submitOrder(request: OrderRequest) {
    return this.parts.oms.submit(request);
  }

  reportDatabaseError(error: unknown): void {
    this.parts.database.report(error);
  }

  pause(actor: Actor) {
    return this.parts.controls.pause(actor);
  }

  unpause(actor: Actor) {
    return this.parts.controls.unpause(actor);
  }

  pushHalt(actor: Actor) {
    return this.parts.controls.pushHalt(actor);
  }

  haltAlgo(actor: Actor, algoId: string) {
    return this.parts.controls.haltAlgo(actor, algoId);
  }

  flatten(actor: Actor, dryRun: boolean) {
    return this.parts.controls.flatten(actor, dryRun);
  }

  flattenAlgo(actor: Actor, algoId: string, dryRun: boolean) {
    return this.parts.controls.flattenAlgo(actor, algoId, dryRun);
  }

  resetRiskHalt(actor: Actor) {
    return this.parts.controls.resetRiskHalt(actor);
  }

  reloadUniverse(actor: Actor) {
    return this.parts.controls.reloadUniverse(actor);
  }

  reloadStrategies(request: ReloadRequest) {
    return this.parts.controls.reloadStrategies(request);
  }

  resetBreaker(name: string, actor: Actor) {
    return this.parts.controls.resetBreaker(name, actor);
  }

  ready() {
    return this.parts.views.ready();
  }

  tradingDay() {
    return this.parts.views.tradingDay();
  }

  strategyIds() {
    return this.parts.views.strategyIds();
  }

  instrument(symbol: string) {
    return this.parts.views.instrument(symbol);
  }

  stateView() {
    return this.parts.views.stateView();
  }

  positionsView() {
    return this.parts.views.positionsView();
  }

  workingOrders() {
    return this.parts.views.workingOrders();
  }

  orders(filter: Parameters<TradingViews['orders']>[0]) {
    return this.parts.views.orders(filter);
  }

  trades(day: string) {
    return this.parts.views.trades(day);
  }

  reconciliationView(uncertainAfterMs?: number) {
    return this.parts.views.reconciliationView(uncertainAfterMs);
  }

  brokerView() {
    return this.parts.views.brokerView();
  }

  feedsView() {
    return this.parts.views.feedsView();
  }

  breakersView() {
    return this.parts.views.breakersView();
  }

  rateLimitsView() {
    return this.parts.views.rateLimitsView();
  }

  // ---- the periodic rounds ----

  /** Every 200 ms: state, session clock, the daily loss stop and the heat cap, gauges. */
  private async evaluate(): Promise<void> {
    const { parts } = this;
    // Nothing else calls the broker while trading is halted by its open breaker.
    void parts.breakers.broker.probe(() => parts.broker.positions());
    parts.states.update();
    await parts.engine.onClock();
    parts.gauges.update(await parts.postTradeRisk.check());
  }

  /** Probes the database; once it answers, copies the journal and the audit spool into it. */
  private async watchDatabase(): Promise<void> {
    const { parts } = this;
    const wasDown = !parts.database.reachable();
    if (!(await parts.database.probe())) return;
    if (wasDown || parts.repo.pending() > 0) await this.catchUp();
    parts.states.update();
  }

  /** Journal first (orders before their audit rows), then the audit spool, both in order. */
  private async catchUp(): Promise<void> {
    const { parts } = this;
    const left = await parts.repo.replay();
    const { written, remaining } = await flushAuditSpool(parts.db.durable, parts.spool);
    if (written > 0 || left > 0 || remaining > 0)
      parts.log.warn(
        { journalLeft: left, auditWritten: written, auditLeft: remaining },
        'database back: outage journal copied',
      );
  }

  /** Pause, the risk halt and halted algos are shared: every task applies what the database says. */
  private async syncControls(): Promise<void> {
    const { parts } = this;
    if (!parts.database.reachable()) return;
    await parts.algos.sync();
    const controls = await parts.controlStore.read();
    const snap = parts.states.snapshot();
    if (!sameControl(snap.paused, controls.pause)) parts.states.setPaused(controls.pause);
    if (!sameControl(snap.riskHalt, controls.risk_halt))
      parts.states.setRiskHalt(controls.risk_halt);
    const held = parts.leases.heldStrategies();
    parts.portfolio.setOthers(
      await parts.repo.positions(parts.session.status().date, { except: held }),
    );
  }
}
