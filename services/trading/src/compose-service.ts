import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { type AnyStage, operatorNames } from '../../../contract/names';
import type { RiskLimits } from '../../../contract/risk-limits';
import { FileAuditSpool } from '../../common/db/audit-spool';
import type { ParameterStore } from '../../common/parameters/parameter-store';
import type { SharedOrderRateLimiter } from './broker/order-rate-limiter';
import type { RateLimitedBroker } from './broker/rate-limited-broker';
import { AlgoControls } from './controls/algo-controls';
import { Auditor } from './controls/auditor';
import { ControlActions } from './controls/control-actions';
import { onStateTransition } from './controls/state-transitions';
import { ControlsRepository } from './controls-repository';
import { Engine } from './engine';
import { FlagWatcher } from './flag/flag-watcher';
import { flattenRequestSteps } from './flag/flatten-request-steps';
import { FlattenRequests } from './flag/flatten-requests';
import { guardedParameterStore } from './flag/guarded-parameter-store';
import { type ServiceBreakers, serviceBreakers } from './health/circuit-breaker';
import { DatabaseHealth } from './health/database-health';
import { JournaledOrderRepository } from './journal/journaled-repository';
import { OrderJournal } from './journal/order-journal';
import { LeaseManager } from './leases/lease-manager';
import { StrategyTakeOver } from './leases/strategy-take-over';
import type { MarketDataFeed } from './market/feed';
import type { TradingSession } from './market/session';
import { Gauges } from './metrics/gauges';
import { Metrics } from './metrics/metrics';
import { OrderManager } from './oms/order-manager';
import type { TradingDatabase } from './oms/order-repository';
import type { Portfolio } from './oms/portfolio';
import { PeriodicTasks } from './periodic';
import { DuplicateDetector } from './risk/duplicate-detector';
import { MarginCheck, marginSourceOf } from './risk/margin-check';
import { PostTradeRisk } from './risk/post-trade-risk';
import { PreTradeRisk } from './risk/pre-trade-risk';
import { PriceBandCheck, priceBandSourceOf } from './risk/price-bands';
import { RiskEventWriter } from './risk/risk-event-writer';
import { createStrategy, MANUAL_STRATEGY_ID } from './strategies/registry';
import type { AlgoIdRules, StrategyConfig } from './strategies/strategy-config';
import { TradingService } from './trading-service';
import { brokerTokenInput, TradingStateMachine } from './trading-state';
import type { Universe } from './universe';
import { TradingViews } from './views/trading-views';

/** What the service is and how it behaves: from the configuration. */
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
  /** What the stage requires of the algo IDs (checked again on every strategies reload). */
  readonly algoIdRules: AlgoIdRules;
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

/** What the service runs on: pools, venue, feed, clock, and the book the venue prices from. */
export interface TradingServiceDeps {
  readonly db: TradingDatabase;
  readonly parameters: ParameterStore;
  /** The broker behind its order-rate door (`withOrderRateLimit`). */
  readonly broker: RateLimitedBroker;
  /** The client's shared order-rate limiter that `broker` and entries' records take slots from. */
  readonly orderRate: SharedOrderRateLimiter;
  readonly feed: MarketDataFeed;
  readonly session: TradingSession;
  readonly universe: Universe;
  readonly strategies: readonly StrategyConfig[];
  /** The book; the paper venue takes its quotes from it, so it exists before the service. */
  readonly portfolio: Portfolio;
  readonly log: Logger;
  /** Where EMF lines go. @default stdout */
  readonly emfSink?: (line: string) => void;
}

/**
 * The parts behind the API, for tests that drive or inspect them directly (submit without
 * HTTP, poll the flag now, read the book). Nothing outside test/ uses them.
 */
export interface TradingInternalsForTests {
  readonly oms: OrderManager;
  readonly portfolio: Portfolio;
  readonly states: TradingStateMachine;
  readonly flag: FlagWatcher;
  readonly leases: LeaseManager;
  readonly breakers: ServiceBreakers;
  readonly repo: JournaledOrderRepository;
}

/** A wired service and, for tests only, its parts. */
export interface WiredTradingService {
  readonly service: TradingService;
  readonly internals: TradingInternalsForTests;
}

/**
 * Wires the trading service: constructs every collaborator and passes each the others it needs.
 * With `composeTradingService` (compose.ts, which builds what it runs on) the only place that
 * constructs the service's parts; the parts take their dependencies as arguments. Callbacks to
 * parts built further down (the state machine asks the leases, the leases call the order
 * manager) are only called once everything is built, from `start` on.
 */
export function wireTradingService(
  options: TradingServiceOptions,
  deps: TradingServiceDeps,
): WiredTradingService {
  const { log, portfolio } = deps;
  const names = operatorNames(options.stage);
  const metrics = new Metrics();
  const controlStore = new ControlsRepository(deps.db.durable);
  const database = new DatabaseHealth(deps.db.durable);
  const journalDir =
    options.journalDir ?? path.join(os.tmpdir(), 'algo-trading-journal', options.taskId);
  const spool = new FileAuditSpool(path.join(journalDir, 'audit-spool.jsonl'));
  const repo = new JournaledOrderRepository(
    deps.db,
    new OrderJournal(path.join(journalDir, 'order-journal.jsonl')),
    database,
    controlStore,
    deps.orderRate,
  );
  const riskEvents = new RiskEventWriter(deps.db.relaxed, (err) =>
    log.error({ err }, 'writing risk events failed'),
  );
  const auditor = new Auditor({
    stage: options.stage,
    taskId: options.taskId,
    db: deps.db,
    database,
    spool,
    log,
  });
  const breakers = serviceBreakers(options);
  const started = () => service.isStarted();
  const stopping = () => service.isStopping();

  const flag: FlagWatcher = new FlagWatcher(
    guardedParameterStore(deps.parameters, breakers.parameters),
    {
      flagParameter: names.flagParameter,
      flattenRequestParameter: names.flattenRequestParameter,
      pollMs: options.flagPollMs,
      maxStalenessMs: options.flagMaxStalenessMs,
      onError: (err) => log.error({ err }, 'flag listener failed'),
    },
    {
      onFlag: () => states.update(),
      onFlattenRequest: (request, writtenAt) => {
        flattenRequests
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
  const states: TradingStateMachine = new TradingStateMachine(
    flag,
    (t) => onTransition(t),
    Date.now,
    [
      { name: 'database', cause: () => database.cause() },
      {
        name: 'leases',
        cause: () =>
          leases.heldStrategies().length === 0
            ? 'holds no strategy lease: other tasks hold them, or this task has not taken them yet'
            : undefined,
      },
      brokerTokenInput(deps.broker),
      ...Object.values(breakers).map((b) => ({
        name: `breaker:${b.name}`,
        cause: () => b.openCause(),
      })),
    ],
  );

  const marginSource = marginSourceOf(deps.broker);
  const margin = marginSource && new MarginCheck(marginSource);
  const bandSource = priceBandSourceOf(deps.broker, () =>
    deps.universe.list().map((i) => i.symbol),
  );
  const bands = bandSource && new PriceBandCheck(bandSource);
  const risk = new PreTradeRisk(
    options.limits,
    {
      state: () => states.state(),
      marketOpen: () => deps.session.status().open,
      instrument: (symbol) => deps.universe.get(symbol),
      quote: (symbol) => portfolio.quote(symbol),
      position: (strategyId, symbol) => portfolio.position(strategyId, symbol),
      workingReduceQuantity: (strategyId, symbol) => oms.workingReduceQuantity(strategyId, symbol),
      netQuantity: (symbol) => portfolio.netQuantity(symbol),
      heatInr: () => portfolio.heatInr(),
      dailyPnlInr: () => portfolio.dailyPnlInr(),
      algoHalted: (strategyId) => algos.haltCause(strategyId),
    },
    deps.orderRate,
    new DuplicateDetector(options.limits.duplicateWindowMs),
    Date.now,
    { margin, bands },
  );

  const leases: LeaseManager = new LeaseManager(
    deps.db.durable,
    {
      taskId: options.taskId,
      ttlMs: options.leaseTtlMs,
      onError: (err) => log.error({ err }, 'lease round failed'),
    },
    {
      onAcquired: (strategyId, token) => takeOver.onAcquired(strategyId, token),
      onLost: (strategyId, why) => takeOver.onLost(strategyId, why),
    },
  );

  const oms: OrderManager = new OrderManager({
    repo,
    broker: deps.broker,
    breaker: breakers.broker,
    portfolio,
    risk,
    riskEvents,
    metrics,
    log,
    taskId: options.taskId,
    lease: (strategyId, purpose) => leases.lease(strategyId, purpose),
    databaseDown: () => database.cause(),
    tradingDay: () => views.tradingDay(),
    state: () => states.state(),
    algoIdOf: (strategyId) =>
      algos.algoIdOf(strategyId) ??
      (strategyId === MANUAL_STRATEGY_ID ? options.algoIdRules.manualAlgoId : undefined),
  });
  const algos = new AlgoControls({ db: deps.db.durable, oms, auditor, log });
  algos.setStrategies(deps.strategies);

  const engine = new Engine({
    oms,
    portfolio,
    universe: deps.universe,
    session: deps.session,
    limits: options.limits,
    log,
    holds: (strategyId) => leases.lease(strategyId) !== undefined,
    state: () => states.state(),
    squareOff: async () => {
      const reason = 'EOD square-off 15:25 IST';
      await auditor.flatten(
        auditor.self(reason),
        'eod-square-off',
        await oms.flatten(reason, false),
      );
    },
    newTradingDay: () => portfolio.startDay(),
  });
  engine.setStrategies(deps.strategies.map(createStrategy));

  const controls = new ControlActions({
    controls: controlStore,
    states,
    flag,
    oms,
    engine,
    leases,
    universe: deps.universe,
    breakers,
    metrics,
    riskEvents,
    auditor,
    log,
    strategiesFile: options.strategiesFile,
    strategies: deps.strategies,
    mode: options.mode,
    algos,
    algoIdRules: options.algoIdRules,
  });
  const flattenRequests: FlattenRequests = new FlattenRequests({
    metrics,
    started,
    held: () => leases.heldStrategies('exit'),
    flag: () => flag.snapshot(),
    algoScope: (request, writtenAt) => algos.flattenScope(request, writtenAt),
    ...flattenRequestSteps({
      taskId: options.taskId,
      controls: controlStore,
      repo,
      database,
      oms,
      auditor,
      log,
    }),
  });
  const takeOver = new StrategyTakeOver({ oms, controls, flattenRequests, log });
  const onTransition = onStateTransition({ log, metrics, auditor, oms, started, stopping });
  const views: TradingViews = new TradingViews(options, {
    db: deps.db,
    repo,
    oms,
    engine,
    portfolio,
    states,
    flag,
    leases,
    database,
    breakers,
    rate: deps.orderRate,
    broker: deps.broker,
    feed: deps.feed,
    session: deps.session,
    universe: deps.universe,
    flattenRequests,
    algos,
    reconcileReports: () => takeOver.reports(),
    started,
  });
  const service: TradingService = new TradingService({
    emf: options.emf,
    metricsIntervalMs: options.metricsIntervalMs,
    log,
    db: deps.db,
    spool,
    broker: deps.broker,
    feed: deps.feed,
    session: deps.session,
    metrics,
    portfolio,
    states,
    flag,
    leases,
    engine,
    oms,
    repo,
    controlStore,
    algos,
    database,
    breakers,
    riskEvents,
    controls,
    views,
    postTradeRisk: new PostTradeRisk({
      limits: options.limits,
      portfolio,
      states,
      oms,
      metrics,
      controls,
      auditor,
    }),
    gauges: new Gauges({
      stage: options.stage,
      flagMaxStalenessMs: options.flagMaxStalenessMs,
      metrics,
      flag,
      states,
      broker: deps.broker,
      session: deps.session,
      rate: deps.orderRate,
      views,
      emfSink: deps.emfSink,
    }),
    periodic: new PeriodicTasks(log),
    margin,
    bands,
  });
  return { service, internals: { oms, portfolio, states, flag, leases, breakers, repo } };
}
