import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { NO_FLATTEN_REQUEST } from '../contract/flatten-request';
import { operatorNames } from '../contract/names';
import { freePort } from '../scripts/local/free-port';
import { type LocalPostgres, startLocalPostgres } from '../scripts/local/postgres';
import { migrate } from '../services/common/db/migrate';
import { LocalParameterStore } from '../services/common/parameters/local-parameter-store';
import { sleep } from '../services/common/retry';
import { DEFAULT_UNIVERSE } from '../services/trading/src/universe';
import { type ServiceProcess, spawnEntry, waitForHttp } from '../test/support/processes';
import { report, summarize } from './support';

// The kill with the trading service's PostgreSQL down. One trading process (main.ts, default
// 1 s flag poll), five paper positions open before each kill; the paper venue keeps its books
// on a PostgreSQL of its own (PAPER_VENUE_DATABASE_URL): a real broker does not go down with
// our database. The kill is what `emergencyStop` does when nothing else is reachable: the flag
// set to false and a flatten request written to the (local) parameter store. Timed from that
// write to the venue showing every position at zero (polled every 5 ms). Each run measures it
// twice, with the service's PostgreSQL up (the floor) and stopped, at a random moment of the
// poll cycle; a stopped database is restarted and its journal copied before the next run.
const RUNS = Number(process.env.BENCH_RUNS ?? 6);
const SYMBOLS = ['INFY', 'TCS', 'RELIANCE', 'ITC', 'SBIN'];
const TOKEN = 'bench-control-token-0123456789';
const names = operatorNames('local');

interface StateView {
  state: string;
  cause: string;
  database: { reachable: boolean; journalPending: number };
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-kill-db-down-'));
  // As root, PostgreSQL runs as `postgres`, which must be able to reach the data directories.
  await chmod(dir, 0o755);
  const dataDir = path.join(dir, 'pg');
  let pg: LocalPostgres = await startLocalPostgres({ dataDir, persistent: true });
  const pgPort = pg.port;
  await pg.createDatabase('algotrading');
  const venuePg = await startLocalPostgres({
    dataDir: path.join(dir, 'venue-pg'),
    persistent: false,
  });
  await venuePg.createDatabase('venue');
  const venue = new Pool({ connectionString: venuePg.url('venue'), max: 2 });
  await migrate(venue);
  const store = new LocalParameterStore(path.join(dir, 'parameters.json'));
  await store.putParameter(names.flagParameter, 'true', 'bench');
  await store.putParameter(names.flattenRequestParameter, NO_FLATTEN_REQUEST, 'bench');

  const port = await freePort();
  const service: ServiceProcess = spawnEntry(
    'services/trading/src/main.ts',
    {
      STAGE: 'local',
      TASK_ID: 'bench-task',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: pg.url('algotrading'),
      PAPER_VENUE_DATABASE_URL: venuePg.url('venue'),
      LOCAL_PARAMETER_FILE: store.file,
      JOURNAL_DIR: path.join(dir, 'journal'),
      CONTROL_TOKEN: TOKEN,
      SESSION_CLOCK: 'simulated',
      LOG_LEVEL: 'error',
    },
    port,
  );
  const get = async <T>(urlPath: string) =>
    (await (await fetch(`${service.baseUrl}${urlPath}`)).json()) as T;
  const until = async (done: () => Promise<boolean>, what: string, timeoutMs = 30_000) => {
    const deadline = performance.now() + timeoutMs;
    while (!(await done())) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(5);
    }
    return performance.now();
  };
  /** Positions the venue holds, by strategy and symbol, that are not zero. */
  const venueOpen = async (strategyId?: string) => {
    const { rows } = await venue.query<{ n: string }>(
      `SELECT count(*) AS n FROM (
         SELECT o.strategy_id, o.symbol
           FROM paper.fills f JOIN paper.orders o USING (broker_order_id)
          WHERE $1::text IS NULL OR o.strategy_id = $1
          GROUP BY 1, 2
         HAVING sum(CASE WHEN o.side = 'BUY' THEN f.quantity ELSE -f.quantity END) <> 0) open`,
      [strategyId ?? null],
    );
    return Number(rows[0]?.n ?? 0);
  };

  let round = 0;
  /** Trading on again and five manual positions open at the venue. */
  const prepare = async () => {
    // A new quantity each round: the duplicate-order guard refuses a repeat within 2 s.
    round += 1;
    await store.putParameter(names.flagParameter, 'true', 'bench');
    await until(async () => (await get<StateView>('/state')).state === 'ACTIVE', 'ACTIVE');
    // The order-rate limit counts the last kill's exits too.
    await until(
      async () =>
        (
          await get<{ rateLimits: Array<{ used: number }> }>('/api/health/rate-limits')
        ).rateLimits.every((r) => r.used === 0),
      'an empty order-rate window',
    );
    for (const symbol of SYMBOLS) {
      const price = DEFAULT_UNIVERSE.find((i) => i.symbol === symbol)?.referencePrice ?? 0;
      const res = await fetch(`${service.baseUrl}/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          symbol,
          side: 'BUY',
          type: 'MARKET',
          quantity: 2 + (round % 2),
          stopPrice: Math.round(price * 0.97),
        }),
      });
      if (res.status !== 201) throw new Error(`entry ${symbol} refused: ${await res.text()}`);
    }
    await until(async () => (await venueOpen('manual')) === SYMBOLS.length, 'positions open');
  };
  /** The kill as the SSM-only fallback writes it; resolves with seconds to flat at the venue. */
  const kill = async (id: string) => {
    // A random moment of the task's poll cycle.
    await sleep(Math.random() * 1000);
    const t0 = performance.now();
    await store.putParameter(names.flagParameter, 'false', 'bench');
    await store.putParameter(
      names.flattenRequestParameter,
      JSON.stringify({ id, reason: 'bench', requester: 'bench' }),
      'bench',
    );
    return ((await until(async () => (await venueOpen()) === 0, `flat after ${id}`)) - t0) / 1000;
  };

  const up: number[] = [];
  const down: number[] = [];
  try {
    await waitForHttp(service, '/health', 60_000);
    await until(async () => (await get<StateView>('/state')).state === 'ACTIVE', 'first ACTIVE');
    // Entries need a price: the simulated feed's first ticks.
    await until(
      async () =>
        (await get<{ feeds: Array<{ status: string }> }>('/api/health/feeds')).feeds.every(
          (f) => f.status === 'FRESH',
        ),
      'a fresh feed',
    );
    for (let run = 0; run < RUNS; run += 1) {
      await prepare();
      up.push(await kill(`bench-up-${run}`));

      await prepare();
      await pg.stop();
      await until(
        async () => !(await get<StateView>('/state')).database.reachable,
        'the service to see its database down',
      );
      down.push(await kill(`bench-down-${run}`));
      pg = await startLocalPostgres({ dataDir, port: pgPort, persistent: true });
      await until(async () => {
        const { database } = await get<StateView>('/state');
        return database.reachable && database.journalPending === 0;
      }, 'the journal copied after the restart');
    }
  } finally {
    service.proc.kill('SIGTERM');
    await service.exited();
    await venue.end();
    // A run that failed may have left the service's PostgreSQL stopped.
    await Promise.all([pg.stop().catch(() => undefined), venuePg.stop()]);
    await rm(dir, { recursive: true, force: true });
  }

  console.log(
    `1 trading task (1 s flag poll), ${SYMBOLS.length} manual positions per kill, ${RUNS} runs; flat = venue positions zero`,
  );
  report('SSM kill -> flat, PostgreSQL up (floor)', summarize(up), 's');
  report('SSM kill -> flat, PostgreSQL down', summarize(down), 's');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
