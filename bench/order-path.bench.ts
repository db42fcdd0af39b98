import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Pool } from 'pg';
import { freePort } from '../scripts/local/free-port';
import { mark, report, type Summary, summarize } from './support';
import { BENCH_TOKEN, type BenchStack, sleep, startBenchStack } from './support/bench-stack';
import { cpuSecondsOf, postgresCpuSeconds } from './support/cpu';
import { startFlushProbe } from './support/flush-probe';
import { openLoop } from './support/open-loop';
import { refusedInProcess } from './support/refused-in-process';
import { printCensus, statementCensus } from './support/statement-census';

// POST /orders through the real service process against PostgreSQL 17 with fsync on: validation,
// pre-trade risk, the group-committed durable insert with its order-rate slot, the paper venue's
// acknowledgement (and, 5 ms later, its fills, recorded by the service). Beside it, at the same
// offered rates on the same PostgreSQL, the floor: a bare Fastify route inserting one row per
// request with synchronous commit. Targets (issue 15): at 1,000/s p99 <= 5 ms and within 2x the
// floor's; saturation >= 2,500/s or >= 80% of the floor's. At each rate the two take turns, three
// slices each (fifteen at 1,000/s), so that both meet the same machine. During each slice a probe times the disk's
// data flushes (support/flush-probe.ts): every synchronous commit waits for one, so a disk that
// stalls a flush for longer than a p99 sets that p99, for the order path and the floor alike.
const RATES = [250, 500, 1000, 1500, 2000, 2500, 3000];
/** The rate the p99 targets are judged at. */
const VERDICT_RATE = 1000;
const SECONDS = Number(process.env.ORDER_BENCH_SECONDS ?? 6);
/** Each rate's seconds, for the order path and the floor alike, in this many alternating turns. */
const SLICES = 3;
// The verdict's rate runs five times as long, in as many more turns. In 6 s (6,000 requests) one
// disk stall of 100 ms holds more than the 60 requests above the p99 and alone sets it; in 30 s it
// takes several, so the p99 says what the path costs more than whether a stall fell in the run.
const VERDICT_SECONDS = SECONDS * 5;
const VERDICT_SLICES = SLICES * 5;
const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
// Buy one, sell one: the position stays near flat, so every order passes the limits.
const order = (i: number) =>
  JSON.stringify({
    clientOrderId: `bench-${process.pid}-${i}`,
    symbol: 'INFY',
    side: i % 2 ? 'SELL' : 'BUY',
    type: 'MARKET',
    quantity: 1,
    stopPrice: i % 2 ? 1750 : 1400,
  });

interface Point {
  readonly s: Summary;
  /** Answered 201 per second of the run (from the first request due to the last answer). */
  readonly served: number;
  readonly codes: string;
  /**
   * CPU per order, microseconds, of the server process and of PostgreSQL, beyond what each spends
   * idle (the service's timers, feed and leases; measured before the sweep).
   */
  readonly cpuServerUs: number;
  readonly cpuPostgresUs: number;
  /** CPU per request of the load generator (this process), on the same two cores. */
  readonly cpuLoadUs: number;
  /** The disk's data flushes (8 KB + fdatasync every 20 ms) during the run, ms. */
  readonly flush: Summary;
}

/** CPU seconds per second spent with no load: the server and PostgreSQL. */
interface Idle {
  readonly server: number;
  readonly postgres: number;
}

async function idleCpu(pid: number, dataDir: string, seconds: number): Promise<Idle> {
  const before = { server: cpuSecondsOf(pid), postgres: postgresCpuSeconds(dataDir) };
  await sleep(seconds * 1000);
  return {
    server: (cpuSecondsOf(pid) - before.server) / seconds,
    postgres: (postgresCpuSeconds(dataDir) - before.postgres) / seconds,
  };
}

let offset = 0;

/** What one stretch of load at one server measured: the raw figures, to be merged (`pointOf`). */
interface Slice {
  readonly latenciesMs: readonly number[];
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly cpuServerSeconds: number;
  readonly cpuPostgresSeconds: number;
  /** The load generator's CPU, µs, over all its requests. */
  readonly cpuLoadUs: number;
  readonly requests: number;
  readonly flushMs: readonly number[];
}

/** Offers `rate` orders a second to `url` for `seconds`, open loop, and reads the CPU spent. */
async function measureSlice(
  url: string,
  pid: number,
  dataDir: string,
  rate: number,
  seconds: number,
): Promise<Slice> {
  const cpu = { server: cpuSecondsOf(pid), postgres: postgresCpuSeconds(dataDir) };
  // Beside the data directory, on the same disk as the WAL that every synchronous commit flushes.
  const probe = startFlushProbe(path.join(path.dirname(dataDir), 'flush-probe'));
  const base = offset;
  offset += rate * seconds;
  const result = await openLoop({
    url,
    rate,
    seconds,
    connections: 32,
    request: (i) => ({ method: 'POST', path: '/orders', headers, body: order(base + i) }),
  });
  return {
    latenciesMs: result.latenciesMs,
    statusCounts: result.statusCounts,
    seconds: result.seconds,
    cpuServerSeconds: cpuSecondsOf(pid) - cpu.server,
    cpuPostgresSeconds: postgresCpuSeconds(dataDir) - cpu.postgres,
    cpuLoadUs: result.cpuPerRequestUs * result.sent,
    requests: result.sent,
    flushMs: await probe.stop(),
  };
}

/** One point of the sweep from its slices, less what the server and PostgreSQL spend idle. */
function pointOf(slices: readonly Slice[], idle: Idle = { server: 0, postgres: 0 }): Point {
  const sum = (f: (s: Slice) => number) => slices.reduce((n, s) => n + f(s), 0);
  const codes: Record<string, number> = {};
  for (const s of slices)
    for (const [code, n] of Object.entries(s.statusCounts)) codes[code] = (codes[code] ?? 0) + n;
  const ok = codes['201'] ?? 0;
  const seconds = sum((s) => s.seconds);
  const requests = sum((s) => s.requests);
  const cpuServer = sum((s) => s.cpuServerSeconds);
  const cpuPostgres = sum((s) => s.cpuPostgresSeconds);
  const us = (sec: number, idleRate: number) =>
    Math.round(((sec - idleRate * seconds) / Math.max(1, ok)) * 1e6);
  return {
    s: summarize(slices.flatMap((s) => s.latenciesMs)),
    served: ok / seconds,
    codes: Object.entries(codes)
      .map(([c, n]) => `${c}:${n}`)
      .join(' '),
    cpuServerUs: us(cpuServer, idle.server),
    cpuPostgresUs: us(cpuPostgres, idle.postgres),
    cpuLoadUs: Math.round(sum((s) => s.cpuLoadUs) / Math.max(1, requests)),
    flush: summarize(slices.flatMap((s) => s.flushMs)),
  };
}

/** `measureSlice` as one point. */
async function measure(
  url: string,
  pid: number,
  dataDir: string,
  rate: number,
  seconds: number,
): Promise<Point> {
  return pointOf([await measureSlice(url, pid, dataDir, rate, seconds)]);
}

/** The floor server on `stack`'s database, with its table: a copy of `orders`. */
async function startFloor(stack: BenchStack): Promise<{ url: string; proc: ChildProcess }> {
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 1 });
  await pool.query('CREATE TABLE floor_orders (LIKE orders INCLUDING ALL)');
  await pool.end();
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'support', 'floor-server.ts')],
    {
      env: { ...process.env, DATABASE_URL: stack.databaseUrl, PORT: String(port) },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
    const up = await fetch(`${url}/orders`, { method: 'OPTIONS' }).then(
      () => true,
      () => false,
    );
    if (up) return { url, proc };
  }
  throw new Error('the floor server did not start');
}

/** The highest offered rate served within 5% (and every rate below it). */
function saturation(points: ReadonlyArray<{ rate: number; p: Point }>): number {
  let best = 0;
  for (const { rate, p } of points) {
    if (p.served < rate * 0.95) break;
    best = rate;
  }
  return best;
}

const f1 = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));

async function main() {
  const stack = await startBenchStack({
    tasks: 1,
    // Limits wide enough that every order is accepted (production caps the rate at 8/s).
    limits: {
      capitalInr: 1_000_000_000,
      maxOrderNotionalInr: 1_000_000,
      maxPositionNotionalInr: 100_000_000,
      maxOrdersPerSecond: 5000,
      registeredAlgo: true,
      duplicateWindowMs: 0,
    },
    env: { PAPER_LATENCY_MS: '5' },
  });
  const [url] = stack.urls;
  const [pid] = stack.pids;
  if (!url || !pid) throw new Error('no service');
  const floor = await startFloor(stack);
  const floorPid = floor.proc.pid ?? 0;
  const dataDir = stack.pg.dataDir;
  let met = false;
  try {
    await measure(url, pid, dataDir, 200, 3);
    await measure(floor.url, floorPid, dataDir, 200, 3);
    // What one accepted order costs PostgreSQL: statements, commits, WAL flushes.
    for (const rate of [50, 1000]) {
      const seconds = rate === 50 ? 4 : 1;
      const census = await statementCensus(stack.pg, 'bench', async () => {
        await measure(url, pid, dataDir, rate, seconds);
      });
      printCensus(`statements of the order path at ${rate}/s`, census, rate * seconds);
    }

    const idle = {
      path: await idleCpu(pid, dataDir, 3),
      floor: await idleCpu(floorPid, dataDir, 3),
    };
    const ms = (x: number) => `${(x * 1000).toFixed(0)} ms/s`;
    console.log(
      `idle CPU (subtracted below): service ${ms(idle.path.server)} + postgres ${ms(idle.path.postgres)}; floor ${ms(idle.floor.server)} + postgres ${ms(idle.floor.postgres)}`,
    );
    const points: Array<{ rate: number; path: Point; floor: Point }> = [];
    for (const rate of RATES) {
      // The order path and the floor take turns, a slice at a time: a stall of the shared disk
      // or machine lands on both alike instead of deciding which of the two looks worse.
      const paths: Slice[] = [];
      const floors: Slice[] = [];
      const [seconds, slices] =
        rate === VERDICT_RATE ? [VERDICT_SECONDS, VERDICT_SLICES] : [SECONDS, SLICES];
      for (let k = 0; k < slices; k += 1) {
        paths.push(await measureSlice(url, pid, dataDir, rate, seconds / slices));
        floors.push(await measureSlice(floor.url, floorPid, dataDir, rate, seconds / slices));
      }
      const p = pointOf(paths, idle.path);
      const fl = pointOf(floors, idle.floor);
      points.push({ rate, path: p, floor: fl });
      report(`order path ${rate}/s (served ${p.served.toFixed(0)}/s, ${p.codes})`, p.s, 'ms');
      report(`floor      ${rate}/s (served ${fl.served.toFixed(0)}/s, ${fl.codes})`, fl.s, 'ms');
      console.log(
        `  p99 ratio ${(p.s.p99 / fl.s.p99).toFixed(2)}x; CPU per order: order path ${p.cpuServerUs} us + postgres ${p.cpuPostgresUs} us; floor ${fl.cpuServerUs} us + postgres ${fl.cpuPostgresUs} us; load generator ${p.cpuLoadUs} / ${fl.cpuLoadUs} us`,
      );
      console.log(
        `  disk flush (8 KB + fdatasync) during each: order path p99 ${f1(p.flush.p99)} max ${f1(p.flush.max)} ms; floor p99 ${f1(fl.flush.p99)} max ${f1(fl.flush.max)} ms`,
      );
    }

    // A disk flush stalled for longer than a p99 holds every order committed meanwhile: the
    // last column says which runs had one.
    console.log(
      '\nrate/s | order path p50 / p99 ms | floor p50 / p99 ms | p99 ratio | served/s path, floor | disk flush max ms path, floor',
    );
    for (const { rate, path: p, floor: fl } of points)
      console.log(
        `${String(rate).padStart(6)} | ${f1(p.s.p50).padStart(6)} / ${f1(p.s.p99).padStart(6)} | ${f1(fl.s.p50).padStart(6)} / ${f1(fl.s.p99).padStart(6)} | ${(p.s.p99 / fl.s.p99).toFixed(2).padStart(8)}x | ${p.served.toFixed(0)}, ${fl.served.toFixed(0)} | ${f1(p.flush.max)}, ${f1(fl.flush.max)}`,
      );
    const pathSat = saturation(points.map((x) => ({ rate: x.rate, p: x.path })));
    const floorSat = saturation(points.map((x) => ({ rate: x.rate, p: x.floor })));
    const verdict = points.find((x) => x.rate === VERDICT_RATE);
    const pathP99 = verdict?.path.s.p99 ?? Number.NaN;
    const floorP99 = verdict?.floor.s.p99 ?? Number.NaN;
    const absoluteOk = pathP99 <= 5;
    const relativeOk = pathP99 <= 2 * floorP99;
    const satOk = pathSat >= Math.min(2500, 0.8 * floorSat);
    console.log(
      `saturation (highest offered rate served within 5%): order path ${pathSat}/s, floor ${floorSat}/s  [target >= min(2500, 80% of the floor's): ${mark(satOk)}]`,
    );
    console.log(
      `at ${VERDICT_RATE}/s over ${VERDICT_SECONDS} s: order path p99 ${f1(pathP99)} ms, floor p99 ${f1(floorP99)} ms`,
    );
    console.log(
      `  [target p99 <= 2x the floor's: ${mark(relativeOk)} at ${(pathP99 / floorP99).toFixed(2)}x]`,
    );
    // A floor over 5 ms means the machine, not the order path, decided that half this run.
    console.log(
      `  [target p99 <= 5 ms: ${mark(absoluteOk)}${floorP99 > 5 ? '; the floor itself, one insert per request, was over 5 ms in this run' : ''}]`,
    );
    met = absoluteOk && relativeOk && satOk;
  } finally {
    floor.proc.kill('SIGTERM');
    await stack.stop();
  }

  // The refused path, production limits (8/s): over HTTP at 1,000/s offered, then in process.
  const capped = await startBenchStack({ tasks: 1, env: { PAPER_LATENCY_MS: '5' } });
  try {
    const [cappedUrl] = capped.urls;
    const [cappedPid] = capped.pids;
    if (cappedUrl && cappedPid) {
      const p = await measure(cappedUrl, cappedPid, capped.pg.dataDir, 1000, 5);
      report(`refused path over HTTP, 8/s cap, 1000/s (${p.codes})`, p.s, 'ms');
    }
  } finally {
    await capped.stop();
  }
  const bare = await startBenchStack({ tasks: 0 });
  try {
    const inProcess = await refusedInProcess(bare, 1000, 5);
    for (const { reason, s, withoutIo } of inProcess.refused)
      report(`refused in process, ${reason} (${withoutIo}/${s.n} without I/O)`, s, 'ms', {
        p99Max: 1,
      });
    console.log(`  accepted in process meanwhile: ${inProcess.accepted}`);
  } finally {
    await bare.stop();
  }
  process.exitCode = met ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
