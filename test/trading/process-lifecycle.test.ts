import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { operatorNames } from '../../contract/names';
import { freePort } from '../../scripts/local/free-port';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { type ServiceProcess, spawnEntry, waitForHttp } from '../support/processes';
import { eventually } from './harness';

const TOKEN = 'process-test-token-0123456789';
const ENTRY = 'services/trading/src/main.ts';
const names = operatorNames('local');

describe('trading service process', () => {
  let db: TestDatabase;
  let parameterFile: string;
  let store: LocalParameterStore;
  const running: ServiceProcess[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
    parameterFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'proc-flag-')), 'parameters.json');
    store = new LocalParameterStore(parameterFile);
    await store.putParameter(names.flagParameter, 'true', 'test');
  });
  afterEach(async () => {
    for (const p of running.splice(0)) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await db.close();
  });

  async function start(
    taskId: string,
    extra: Record<string, string> = {},
  ): Promise<ServiceProcess> {
    const port = await freePort();
    const service = spawnEntry(
      ENTRY,
      {
        STAGE: 'local',
        TASK_ID: taskId,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        LOCAL_PARAMETER_FILE: parameterFile,
        CONTROL_TOKEN: TOKEN,
        SESSION_CLOCK: 'simulated',
        FEED_TICK_MS: '50',
        LEASE_TTL_MS: '2000',
        LOG_LEVEL: 'warn',
        ...extra,
      },
      port,
    );
    running.push(service);
    await waitForHttp(service, '/ready');
    return service;
  }

  const post = (service: ServiceProcess, url: string, body: unknown) =>
    fetch(`${service.baseUrl}${url}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const lastPrice = async (service: ServiceProcess, symbol: string) => {
    const res = await fetch(`${service.baseUrl}/state`);
    expect(res.ok).toBe(true);
    const positions = await (await fetch(`${service.baseUrl}/positions`)).json();
    return { positions, symbol };
  };

  it('on SIGTERM halts, cancels working orders, releases its leases and exits 0 within the stop timeout', async () => {
    const service = await start('task-term');
    // A buy limit far below the market rests at the venue.
    const placed = await post(service, '/orders', {
      clientOrderId: 'resting-1',
      symbol: 'INFY',
      side: 'BUY',
      type: 'LIMIT',
      quantity: 10,
      limitPrice: 1540,
      stopPrice: 1530,
    });
    expect(placed.status).toBe(201);

    const started = Date.now();
    service.proc.kill('SIGTERM');
    const exit = await service.exited();
    const seconds = (Date.now() - started) / 1000;

    expect(exit).toEqual({ code: 0, signal: null });
    expect(seconds).toBeLessThan(120);
    const { rows: orders } = await db.pool.query('SELECT status, status_reason FROM orders');
    expect(orders).toEqual([
      { status: 'CANCELLED', status_reason: 'service stopping: SIGTERM received' },
    ]);
    const { rows: leases } = await db.pool.query('SELECT DISTINCT holder FROM strategy_leases');
    expect(leases).toEqual([{ holder: null }]);
    const { rows: audit } = await db.pool.query(
      "SELECT reason FROM control_audit WHERE action = 'state-transition' ORDER BY id DESC LIMIT 1",
    );
    expect(audit[0].reason).toBe('shutting down: SIGTERM received');
  }, 60_000);

  it('loses no order when killed mid-flight and restarted', async () => {
    // The venue fills 3 s after an order reaches it: long enough that the kill below lands while
    // every accepted order is still in flight, however slow the machine.
    const first = await start('task-crash', { PAPER_LATENCY_MS: '3000' });
    const answers = await Promise.all(
      ['INFY', 'TCS', 'SBIN', 'ITC', 'LT'].map(async (symbol, i) => {
        const res = await post(first, '/orders', {
          clientOrderId: `crash-${i}`,
          symbol,
          side: 'BUY',
          type: 'MARKET',
          quantity: 2,
          stopPrice: 1,
        });
        // stop 1 is far below: per-trade risk is tiny at 2 shares only for the cheap names.
        return res.status === 201 ? `crash-${i}` : undefined;
      }),
    );
    const sent = answers.filter((id): id is string => id !== undefined);
    expect(sent.length).toBeGreaterThan(0);

    first.proc.kill('SIGKILL');
    expect((await first.exited()).signal).toBe('SIGKILL');
    const beforeRestart = (
      await db.pool.query(
        "SELECT count(*)::int AS n FROM orders WHERE status IN ('NEW','ACK','PARTIAL')",
      )
    ).rows[0].n;
    const second = await start('task-restart');

    const settled = await eventually(
      async () => {
        const { rows } = await db.pool.query(
          'SELECT client_order_id, status FROM orders ORDER BY client_order_id',
        );
        return rows.every((r) => r.status === 'FILLED' || r.status === 'CANCELLED')
          ? rows
          : undefined;
      },
      20_000,
      'every order final after restart',
    );

    expect(beforeRestart).toBeGreaterThan(0);
    expect(settled.map((r) => r.client_order_id)).toEqual(sent);
    const ours = (
      await db.pool.query(
        'SELECT symbol, quantity FROM positions WHERE quantity <> 0 ORDER BY symbol',
      )
    ).rows;
    const theirs = (
      await db.pool.query(
        `SELECT o.symbol, sum(f.quantity)::int AS quantity FROM paper.fills f JOIN paper.orders o USING (broker_order_id)
          GROUP BY o.symbol ORDER BY o.symbol`,
      )
    ).rows;
    expect(ours).toEqual(theirs);
    await lastPrice(second, 'INFY');
  }, 90_000);

  it('refuses to start LIVE without the typed confirmation', async () => {
    const port = await freePort();
    const service = spawnEntry(
      ENTRY,
      {
        STAGE: 'local',
        MODE: 'LIVE',
        BROKER: 'kite',
        BROKER_LOCAL_SECRET_DIR: path.dirname(parameterFile),
        DATABASE_URL: db.url,
        LOCAL_PARAMETER_FILE: parameterFile,
        CONTROL_TOKEN: TOKEN,
        PORT: String(port),
      },
      port,
    );
    running.push(service);

    const exit = await service.exited();

    expect(exit.code).toBe(1);
    expect(service.output()).toContain('MODE=LIVE needs the confirmation "CONFIRM LIVE TRADING"');
  }, 30_000);

  it('names a bad environment value and does not start', async () => {
    const port = await freePort();
    const service = spawnEntry(
      ENTRY,
      { STAGE: 'qa', DATABASE_URL: db.url, CONTROL_TOKEN: 'short', PORT: String(port) },
      port,
    );
    running.push(service);

    const exit = await service.exited();

    expect(exit.code).toBe(1);
    expect(service.output()).toMatch(
      /Invalid trading service environment: STAGE: .* \(got "qa"\); CONTROL_TOKEN: .* \(got "short"\)/,
    );
  }, 30_000);
});
