import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import pino from 'pino';
import { operatorNames } from '../../contract/names';
import { freePort } from '../../scripts/local/free-port';
import type { ParameterStore } from '../../services/common/parameters/parameter-store';
import {
  LocalLogSource,
  LocalNotifier,
  LocalObjectStore,
  noAlarms,
} from '../../services/ops/platform/local/local-platform';
import {
  DEFAULT_OPS_SETTINGS,
  type Fleet,
  type OpsContext,
  type OpsSettings,
  type ServiceDescription,
  type TaskDefinitionRevision,
  type TaskEndpoint,
} from '../../services/ops/platform/ports';
import { TradingClient } from '../../services/ops/platform/trading-client';
import { buildServer, type TradingServer } from '../../services/trading/src/http/server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, type Harness, type HarnessOptions, startHarness } from '../trading/harness';

export const TOKEN = 'ops-test-control-token-0123456789';

/** A real trading service, in process, answering HTTP on a free port. */
export interface TradingFixture {
  readonly harness: Harness;
  readonly app: TradingServer;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startTradingFixture(options: HarnessOptions): Promise<TradingFixture> {
  const harness = await startHarness(options);
  const app = buildServer(harness.service, { controlToken: TOKEN, log: pino({ level: 'silent' }) });
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  return {
    harness,
    app,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await app.close();
      await harness.stop().catch(() => undefined);
    },
  };
}

/** A fleet that lists given task URLs and keeps desired counts and tags in memory. */
export class TestFleet implements Fleet {
  desired = 1;
  running = 1;
  rollout: ServiceDescription['rolloutState'] = 'COMPLETED';
  readonly tagsByService = new Map<string, Record<string, string>>();
  readonly calls: string[] = [];

  constructor(public endpoints: TaskEndpoint[]) {}

  async describe(service: string): Promise<ServiceDescription> {
    this.calls.push(`describe ${service}`);
    return {
      name: service,
      desiredCount: this.desired,
      runningCount: this.running,
      pendingCount: 0,
      rolloutState: this.rollout,
      events: [],
    };
  }

  async tasks(): Promise<TaskEndpoint[]> {
    this.calls.push('tasks');
    return this.endpoints;
  }

  async setDesiredCount(service: string, count: number): Promise<void> {
    this.calls.push(`setDesiredCount ${service} ${count}`);
    this.desired = count;
    this.running = count;
  }

  async forceNewDeployment(service: string): Promise<void> {
    this.calls.push(`forceNewDeployment ${service}`);
  }

  revisionList: TaskDefinitionRevision[] = [];

  async revisions(service: string): Promise<TaskDefinitionRevision[]> {
    this.calls.push(`revisions ${service}`);
    return this.revisionList;
  }

  async deployRevision(service: string, arn: string): Promise<void> {
    this.calls.push(`deployRevision ${service} ${arn}`);
  }

  async tags(service: string): Promise<Record<string, string>> {
    return { ...(this.tagsByService.get(service) ?? {}) };
  }

  async tag(service: string, tags: Record<string, string>): Promise<void> {
    this.calls.push(`tag ${service} ${JSON.stringify(tags)}`);
    this.tagsByService.set(service, { ...(this.tagsByService.get(service) ?? {}), ...tags });
  }

  async untag(service: string, keys: readonly string[]): Promise<void> {
    this.calls.push(`untag ${service} ${keys.join(',')}`);
    const t = { ...(this.tagsByService.get(service) ?? {}) };
    for (const k of keys) delete t[k];
    this.tagsByService.set(service, t);
  }
}

export interface TestContext extends OpsContext {
  readonly objectDir: string;
  readonly notificationsFile: string;
  notifications(): Array<{ topic: string; subject: string; message: string }>;
}

/** An OpsContext over the local adapters, a test fleet and a test database. */
export function testOpsContext(options: {
  db: Pool;
  parameters: ParameterStore;
  fleet: Fleet;
  settings?: Partial<OpsSettings>;
}): TestContext {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ops-'));
  const notificationsFile = path.join(dir, 'notifications.jsonl');
  return {
    stage: 'local',
    names: operatorNames('local'),
    source: 'cli',
    parameters: options.parameters,
    fleet: options.fleet,
    trading: new TradingClient(async () => TOKEN, 3000),
    objects: new LocalObjectStore(path.join(dir, 'objects')),
    notifier: new LocalNotifier(notificationsFile, () => undefined),
    db: options.db,
    logs: new LocalLogSource(path.join(dir, 'logs')),
    alarms: noAlarms,
    now: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
    settings: {
      ...DEFAULT_OPS_SETTINGS,
      cancelConfirmTimeoutMs: 1000,
      verifyFlatTimeoutMs: 3000,
      stableTimeoutMs: 5000,
      ...options.settings,
    },
    objectDir: path.join(dir, 'objects'),
    notificationsFile,
    notifications: () => {
      try {
        return readFileSync(notificationsFile, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
      } catch {
        return [];
      }
    },
  };
}

/** An OpsContext over a trading fixture: its parameter store, and a fleet listing its one task. */
export function opsContextFor(
  trading: TradingFixture,
  db: Pool,
): TestContext & { readonly fleet: TestFleet } {
  const fleet = new TestFleet([{ taskId: 'task-a', url: trading.url, status: 'RUNNING' }]);
  return { ...testOpsContext({ db, parameters: trading.harness.store, fleet }), fleet };
}

/** A fresh database, a real trading service on it, and an OpsContext over that service. */
export interface ServiceUnderOps {
  readonly db: TestDatabase;
  readonly trading: TradingFixture;
  readonly ctx: TestContext & { readonly fleet: TestFleet };
}

export async function startServiceUnderOps(
  options: Omit<HarnessOptions, 'url'>,
): Promise<ServiceUnderOps> {
  const db = await createTestDatabase();
  const trading = await startTradingFixture({ ...options, url: db.url });
  return { db, trading, ctx: opsContextFor(trading, db.pool) };
}

/** Stops the trading service and drops its database. */
export async function stopServiceUnderOps({
  db,
  trading,
}: Pick<ServiceUnderOps, 'db' | 'trading'>): Promise<void> {
  await trading.stop();
  await db.close();
}

/** The trading flag's value in the context's parameter store (undefined when it is not set). */
export const tradingFlag = async (ctx: OpsContext): Promise<string | undefined> =>
  (await ctx.parameters.getParameters([ctx.names.flagParameter])).found.get(ctx.names.flagParameter)
    ?.value;

export const entry = (symbol = 'INFY', quantity = 100, stopPrice = 1485) => ({
  clientOrderId: `e-${symbol}-${Math.random().toString(36).slice(2, 8)}`,
  strategyId: 'manual',
  symbol,
  side: 'BUY' as const,
  type: 'MARKET' as const,
  quantity,
  stopPrice,
  reduceOnly: false,
});

/**
 * Opens paper positions through the fixture's service and waits until PostgreSQL has them: the
 * procedures read positions from the database (or the service's /positions, which does), and a
 * fill reaches memory before it is persisted. Prices are quoted first: a quote older than the
 * risk check's 5 s collar would refuse the entry.
 */
export async function openPositions(
  trading: TradingFixture,
  db: Pool,
  entries: ReadonlyArray<ReturnType<typeof entry>>,
): Promise<void> {
  trading.harness.quoteAll();
  for (const order of entries) {
    const result = await trading.harness.service.submitOrder(order);
    if (result.outcome !== 'ACCEPTED') {
      throw new Error(`entry ${order.symbol} was not accepted: ${JSON.stringify(result)}`);
    }
  }
  await eventually(
    async () =>
      (await db.query('SELECT 1 FROM positions WHERE quantity <> 0')).rowCount === entries.length,
    5000,
    `${entries.length} open position(s) in PostgreSQL`,
  );
}
