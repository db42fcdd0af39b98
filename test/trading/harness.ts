import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { GENERIC_ALGO_ID } from '../../contract/algo-id';
import type { BrokerOrderCaps } from '../../contract/broker-order-caps';
import { operatorNames } from '../../contract/names';
import { type RiskLimits, RiskLimitsSchema } from '../../contract/risk-limits';
import { createPool } from '../../services/common/db/pool';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import type { ParameterStore } from '../../services/common/parameters/parameter-store';
import { istTimeOn } from '../../services/common/time';
import type { Broker } from '../../services/trading/src/broker/broker';
import { PaperBroker } from '../../services/trading/src/broker/paper-broker';
import { withOrderRateLimit } from '../../services/trading/src/broker/rate-limited-broker';
import {
  type TradingInternalsForTests,
  type TradingServiceOptions,
  wireTradingService,
} from '../../services/trading/src/compose-service';
import type { Tick } from '../../services/trading/src/market/bars';
import type { MarketDataFeed } from '../../services/trading/src/market/feed';
import { NseSession } from '../../services/trading/src/market/session';
import type { TradingDatabase } from '../../services/trading/src/oms/order-repository';
import { Portfolio } from '../../services/trading/src/oms/portfolio';
import {
  DEFAULT_STRATEGIES,
  type StrategyConfig,
} from '../../services/trading/src/strategies/strategy-config';
import type { TradingService } from '../../services/trading/src/trading-service';
import { DEFAULT_UNIVERSE, Universe } from '../../services/trading/src/universe';
import { createTestDatabase, lazyDatabase, type TestDatabase } from '../support/database';

/** A feed the test drives: `push` delivers a tick now. */
export class ManualFeed implements MarketDataFeed {
  readonly name = 'manual';
  private listener?: (tick: Tick) => void;
  private last?: number;

  start(onTick: (tick: Tick) => void): void {
    this.listener = onTick;
  }

  stop(): void {
    this.listener = undefined;
  }

  lastUpdates() {
    return { ticks: this.last, depth: this.last };
  }

  push(symbol: string, price: number, time: number): void {
    this.last = Date.now();
    this.listener?.({ symbol, price, bid: price, ask: price, time });
  }
}

/** A trading day with the market open: 2026-11-23 (Monday) at 10:00 IST, moved by the test. */
export class TestClock {
  time = istTimeOn('2026-11-23', '10:00');
  now = () => this.time;
}

export const TEST_LIMITS: RiskLimits = RiskLimitsSchema.parse({
  capitalInr: 1_000_000,
  maxOrderNotionalInr: 200_000,
  maxPositionNotionalInr: 300_000,
});

export interface HarnessOptions {
  readonly url: string;
  readonly taskId?: string;
  /** Shared parameter file (several services on one flag). @default a new temp file */
  readonly parameterFile?: string;
  readonly parameters?: ParameterStore;
  readonly strategies?: readonly StrategyConfig[];
  readonly limits?: RiskLimits;
  readonly leaseTtlMs?: number;
  readonly clock?: TestClock;
  readonly flag?: string;
  /** The paper venue's database, when it must outlive the service's (a database outage). @default url */
  readonly venueUrl?: string;
  readonly breakerResetMs?: number;
  /** A broker call (submit, cancel, probe) fails after this long. @default the service's 5000 */
  readonly brokerTimeoutMs?: number;
  /** What the service sends to, around the paper venue (a broker that hangs). @default the venue */
  readonly wrapBroker?: (venue: PaperBroker) => Broker;
  /** @default a new temp folder */
  readonly journalDir?: string;
  /** @default PAPER (the venue is the paper broker either way) */
  readonly mode?: 'PAPER' | 'LIVE';
  /** Where a strategy reload reads from. @default the built-in strategies */
  readonly strategiesFile?: string;
  /** The broker's own order caps the door counts. @default none (the paper venue's) */
  readonly brokerCaps?: BrokerOrderCaps;
}

export interface Harness {
  readonly service: TradingService;
  /** The parts behind the service's API, for what a test drives or inspects directly. */
  readonly internals: TradingInternalsForTests;
  readonly store: ParameterStore;
  readonly parameterFile: string;
  readonly feed: ManualFeed;
  readonly clock: TestClock;
  /** The paper venue itself (behind the order-rate door the service sends through). */
  readonly broker: PaperBroker;
  readonly db: TradingDatabase;
  readonly names: ReturnType<typeof operatorNames>;
  setFlag(value: string): Promise<void>;
  /** Price every default-universe symbol: INFY at 1500, the rest at their reference (or `prices`). */
  quoteAll(prices?: Record<string, number>): void;
  stop(): Promise<void>;
}

/** A real TradingService on a test database, with a manual feed and a controllable clock. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const parameterFile =
    options.parameterFile ??
    path.join(mkdtempSync(path.join(os.tmpdir(), 'flag-')), 'parameters.json');
  const store = options.parameters ?? new LocalParameterStore(parameterFile);
  const names = operatorNames('local');
  if (options.flag !== undefined)
    await store.putParameter(names.flagParameter, options.flag, 'test');
  const clock = options.clock ?? new TestClock();
  const location = { url: options.url };
  const db: TradingDatabase = {
    durable: await createPool(location, { applicationName: 'test-durable', max: 5 }),
    relaxed: await createPool(location, {
      applicationName: 'test-relaxed',
      max: 5,
      relaxedCommit: true,
    }),
  };
  const venuePool = await createPool(options.venueUrl ? { url: options.venueUrl } : location, {
    applicationName: 'test-venue',
    max: 3,
    relaxedCommit: true,
  });
  const feed = new ManualFeed();
  const universe = new Universe(DEFAULT_UNIVERSE);
  const portfolio = new Portfolio();
  const broker = new PaperBroker(
    venuePool,
    { quote: (symbol) => portfolio.quote(symbol) },
    { slippageBps: 0, latencyMs: 5, partialFillProbability: 0, seed: 1, tokenNames: ['PRIMARY'] },
  );
  const limits = options.limits ?? TEST_LIMITS;
  const taskId = options.taskId ?? 'task-a';
  // As compose.ts does: the limiter's own pool, so a slot never waits behind order inserts.
  const ratePool = await createPool(location, { applicationName: 'test-order-rate', max: 2 });
  const door = withOrderRateLimit(
    options.wrapBroker ? options.wrapBroker(broker) : broker,
    ratePool,
    {
      bucket: 'local/client',
      taskId,
      limit: limits.maxOrdersPerSecond,
      marginMs: limits.orderRateMarginMs,
      brokerCaps: options.brokerCaps,
    },
  );
  const taskOptions: TradingServiceOptions = {
    stage: 'local',
    mode: options.mode ?? 'PAPER',
    taskId,
    limits,
    flagPollMs: 100,
    flagMaxStalenessMs: 5000,
    leaseTtlMs: options.leaseTtlMs ?? 3000,
    emf: false,
    metricsIntervalMs: 60_000,
    algoIdRules: { mode: 'PAPER', broker: 'paper', manualAlgoId: GENERIC_ALGO_ID },
    breakerResetMs: options.breakerResetMs,
    brokerTimeoutMs: options.brokerTimeoutMs,
    journalDir: options.journalDir ?? mkdtempSync(path.join(os.tmpdir(), 'journal-')),
    strategiesFile: options.strategiesFile,
  };
  const { service, internals } = wireTradingService(taskOptions, {
    db,
    parameters: store,
    broker: door,
    orderRate: door.limiter,
    feed,
    session: new NseSession(undefined, { now: clock.now }),
    universe,
    strategies: options.strategies ?? DEFAULT_STRATEGIES,
    portfolio,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  await service.start();
  let closed = false;
  const endPools = async () => {
    if (closed) return;
    closed = true;
    await Promise.all([db.durable.end(), db.relaxed.end(), venuePool.end(), ratePool.end()]);
  };
  return {
    service,
    internals,
    store,
    parameterFile,
    feed,
    clock,
    broker,
    db,
    names,
    setFlag: async (value) => {
      await store.putParameter(names.flagParameter, value, 'test');
      await internals.flag.poll();
    },
    quoteAll: (prices = {}) => {
      const base: Record<string, number> = { INFY: 1500 };
      for (const i of DEFAULT_UNIVERSE)
        feed.push(i.symbol, prices[i.symbol] ?? base[i.symbol] ?? i.referencePrice, clock.time);
    },
    stop: async () => {
      await service.stop('test finished');
      await endPools();
    },
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 5000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`,
  );
}

/**
 * A fresh database for each test of the enclosing describe; after each test, the harness it
 * started (`harness()`, if any) is stopped and the database dropped. The answer reads the current
 * test's database.
 */
export function databasePerTest(harness: () => Harness | undefined): TestDatabase {
  let current: TestDatabase | undefined;
  beforeEach(async () => {
    current = await createTestDatabase();
  });
  afterEach(async () => {
    await harness()
      ?.stop()
      .catch(() => undefined);
    await current?.close();
    current = undefined;
  });
  const now = (): TestDatabase => {
    if (!current) throw new Error('the test database exists only while a test runs');
    return current;
  };
  return lazyDatabase(now);
}

/** The control actions audited so far, oldest first. */
export async function auditActions(db: TestDatabase) {
  const { rows } = await db.pool.query<{
    action: string;
    reason: string;
    before_state: unknown;
    after_state: unknown;
    actor: string;
  }>('SELECT action, reason, before_state, after_state, actor FROM control_audit ORDER BY id');
  return rows;
}
