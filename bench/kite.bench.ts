import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { KiteConnect } from 'kiteconnect';
import pino from 'pino';
import WebSocket from 'ws';
import { GENERIC_ALGO_ID } from '../contract/algo-id';
import type { TaskState } from '../contract/trading-api';
import { startLocalKite } from '../scripts/local/local-kite';
import { startKiteSimulator } from '../scripts/sim/kite/simulator';
import { DEFAULT_INSTRUMENTS } from '../scripts/sim/shared/instruments';
import { istDate, istTimeOn } from '../services/common/time';
import { KiteBroker } from '../services/trading/src/broker/kite/kite-broker';
import { KiteTickerConnection } from '../services/trading/src/broker/kite/kite-ticker-connection';
import type { Order } from '../services/trading/src/domain';
import { KiteFeed } from '../services/trading/src/market/kite-feed';
import { report, summarize } from './support';
import { startBenchStack } from './support/bench-stack';

// Tick-to-order at the Kite simulator's door: from the moment the simulator has written a binary
// full-mode tick frame to the moment an order POST reaches its door (before it parses, checks or
// matches anything: the simulator's own latency is outside both ends). Three lines, one run:
// 1. The whole service: the trading service as the container runs it (a child process, MODE=LIVE,
//    BROKER=kite, logged in through the `token login` path) on a real PostgreSQL (fsync on): the
//    ticker -> KiteFeed -> one-minute bars -> the moving-average-crossover strategy -> pre-trade
//    risk (margins read from the simulator) -> the fenced durable insert -> the shared order-rate
//    slot (a database round trip) -> KiteBroker -> the SDK's POST. The strategy runs fast 2 /
//    slow 3 on a zigzag INFY path, so every bar closes on a crossing: each tick the bench writes
//    (the first of a new minute, on the simulator's clock, which the bench moves a minute a tick)
//    completes a bar whose signal is an entry or an exit. Then a burst: 25 strategies on four
//    other symbols cross on the same ticks (100 entries); the service's order-rate limit (Kite's 10/s)
//    admits what it may, and the line says how many reached the door and how fast.
// 2. The adapter alone: KiteFeed -> KiteBroker.submit (tag, instrument check) -> the SDK's POST.
// 3. The floor: a bare `ws` client that POSTs on every frame with fetch.
// Simulator and bench share this process; the service runs in its own.
const CREDS = { apiKey: 'benchkey', apiSecret: 'benchsecret', userId: 'BN0001' };
const WARMUP = 20;
const SAMPLES = 150;
// Kite allows 10 order requests/s and 200/min: paced under both (the floor is refused at auth,
// before the simulator's windows count it).
const PACE_MS = 110;
const BURST = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let arrived: ((at: number) => void) | undefined;
const arrivals: number[] = [];

function order(i: number): Order {
  const clientOrderId = `bench-${process.pid}-${i}`;
  return {
    id: clientOrderId,
    clientOrderId,
    strategyId: 'bench',
    algoId: GENERIC_ALGO_ID,
    symbol: 'INFY',
    side: i % 2 ? 'SELL' : 'BUY',
    type: 'MARKET',
    quantity: 1,
    reduceOnly: false,
    status: 'NEW',
    filledQuantity: 0,
    tradingDay: new Date().toISOString().slice(0, 10),
    createdAt: Date.now(),
  };
}

/** One tick out, one order in: the door's arrival minus the frame's write (NaN: none in 5 s). */
async function tickToOrder(step: () => void, arm: () => void): Promise<number> {
  const got = new Promise<number>((resolve) => {
    arrived = resolve;
  });
  arm();
  step();
  const written = performance.now();
  const at = await Promise.race([got, sleep(5000).then(() => Number.NaN)]);
  arrived = undefined;
  return at - written;
}

async function series(
  label: string,
  step: (i: number) => void,
  arm: () => void,
  options: { target?: number; paceMs?: number } = {},
) {
  const samples: number[] = [];
  let missed = 0;
  for (let i = 0; i < WARMUP + SAMPLES; i += 1) {
    const ms = await tickToOrder(() => step(i), arm);
    if (Number.isNaN(ms)) missed += 1;
    else if (i >= WARMUP) samples.push(ms);
    await sleep(options.paceMs ?? PACE_MS);
  }
  const target = options.target;
  report(label, summarize(samples), 'ms', target === undefined ? undefined : { p99Max: target });
  if (missed > 0)
    console.log(`  ${missed} of ${WARMUP + SAMPLES} ticks brought no order within 5 s`);
}

/** Orders/s at the door while `fire` sends BURST requests at once. */
async function burst(label: string, fire: (i: number) => Promise<unknown>) {
  arrivals.length = 0;
  await Promise.all(Array.from({ length: BURST }, (_, i) => fire(i).catch(() => undefined)));
  const span = (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0);
  const rate = span > 0 ? ((arrivals.length - 1) / span) * 1000 : Number.NaN;
  console.log(
    `${label.padEnd(44)} ${arrivals.length} requests at the door in ${span.toFixed(1)} ms: ${rate.toFixed(0)} orders/s`,
  );
}

// The service path's strategies: one on INFY for the latency series, 25 on four other symbols
// for the burst (their prices stay flat until then: no crossing, no order). LIVE needs each its
// own algo ID (placeholders: the exchange issues real ones).
const BURST_SYMBOLS = ['RELIANCE', 'TCS', 'HDFCBANK', 'SBIN'];
const STRATEGIES = [
  { id: 'lat', algoId: '20000', symbols: ['INFY'] },
  ...Array.from({ length: 25 }, (_, i) => ({
    id: `burst-${String(i + 1).padStart(2, '0')}`,
    algoId: String(20001 + i),
    symbols: BURST_SYMBOLS,
  })),
].map((s) => ({ ...s, kind: 'MA_CROSSOVER', fast: 2, slow: 3, stopPct: 1, riskFraction: 1 }));
// Production order rate (10/s, Kite's); wide enough elsewhere that only the rate refuses.
const SERVICE_LIMITS = {
  capitalInr: 1_000_000_000,
  maxOrderNotionalInr: 1_000_000,
  maxPositionNotionalInr: 1_000_000_000,
  duplicateWindowMs: 0,
};
// Under the service's 10 orders/s with room for its margin: a refused entry would be a lost sample.
const SERVICE_PACE_MS = 200;
const onTick = (rupees: number) => Math.round(rupees * 20) / 20;
const MINUTE = 60_000;

/**
 * Where the simulator's clock starts: now, or after 06:00 IST when now is shortly before it, so
 * that the hours the bench moves it forward never cross Kite's daily token flush.
 */
function clockStart(now: number): number {
  const flush = istTimeOn(istDate(now), '06:01');
  return now < flush && flush - now < 4 * 3_600_000 ? flush - now : 0;
}

/** Entries the service refused ORDER_RATE so far (its own counter). */
async function rateRefusals(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.match(/^algo_orders_rejected_total\{[^}]*reason="ORDER_RATE"[^}]*\} (\d+)/m);
  return Number(line?.[1] ?? 0);
}

async function taskState(url: string): Promise<TaskState> {
  return (await (await fetch(`${url}/state`)).json()) as TaskState;
}

async function wholeService() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-kite-'));
  let offset = clockStart(Date.now());
  const kite = await startLocalKite(dir, 0, {
    tickIntervalMs: 0,
    cashRupees: 1_000_000_000,
    now: () => Date.now() + offset,
    onOrderRequest: () => {
      const at = performance.now();
      arrivals.push(at);
      arrived?.(at);
    },
  });
  const sim = kite.simulator;
  // The burst symbols pinned to their close: flat bars (no crossing) until the burst.
  const burstLevels = BURST_SYMBOLS.map((symbol) => {
    const close = DEFAULT_INSTRUMENTS.find((i) => i.tradingsymbol === symbol)?.closePaise;
    if (close === undefined) throw new Error(`the simulator lists no ${symbol}`);
    return [symbol, sim.control.setPrice(symbol, close / 100)] as const;
  });
  // Ticks in the current minute (no bar completes): the feed stays fresh while the task starts.
  const publish = () => sim.control.setPrice('INFY', 1500);
  const keepFresh = setInterval(publish, 300);
  const strategiesFile = path.join(dir, 'strategies.json');
  await writeFile(strategiesFile, JSON.stringify(STRATEGIES));
  const stack = await startBenchStack({
    tasks: 1,
    limits: SERVICE_LIMITS,
    env: { ...kite.taskEnv, STRATEGIES_FILE: strategiesFile },
  });
  try {
    const [url] = stack.urls;
    if (!url) throw new Error('no trading service');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const s = await taskState(url);
      if (s.state === 'ACTIVE' && STRATEGIES.every((x) => s.strategies.held.includes(x.id))) break;
      if (Date.now() > deadline)
        throw new Error(
          `the service did not become ACTIVE holding every strategy: ${s.state}, ${s.strategies.held}`,
        );
      await sleep(200);
    }
    clearInterval(keepFresh);
    // A zigzag: each bar closes on the other side of the last two, so every bar is a crossing.
    const zigzag = (i: number) => (i % 2 ? 1505 : 1495);
    // The simulator stamps a symbol's ticks with its last trade: the burst symbols trade at their
    // flat level every minute too (before INFY, whose frame is the one timed).
    const nextMinute = (i: number) => {
      offset += MINUTE;
      for (const [symbol, price] of burstLevels) sim.control.setPrice(symbol, price);
      sim.control.setPrice('INFY', zigzag(i));
    };
    // Bars for the averages (slow 3) before the first crossing.
    for (let i = 0; i < 5; i += 1) {
      nextMinute(i);
      await sleep(SERVICE_PACE_MS);
    }
    await series(
      'tick-to-order: the whole service (PostgreSQL)',
      (i) => nextMinute(i + 5),
      () => undefined,
      {
        paceMs: SERVICE_PACE_MS,
      },
    );

    // The burst: the four symbols' bars close 1% higher, completed by their next ticks (four
    // frames written back to back; INFY is left alone).
    await sleep(1500);
    const raised = burstLevels.map(([symbol, price]) => [symbol, onTick(price * 1.01)] as const);
    for (const [symbol, price] of raised) sim.control.setPrice(symbol, price);
    const refusedBefore = await rateRefusals(url);
    arrivals.length = 0;
    const before = performance.now();
    offset += MINUTE;
    for (const [symbol, price] of raised) sim.control.setPrice(symbol, price);
    let seen = -1;
    while (seen !== arrivals.length) {
      seen = arrivals.length;
      await sleep(1500);
    }
    const refused = (await rateRefusals(url)) - refusedBefore;
    const first = (arrivals[0] ?? Number.NaN) - before;
    const span = (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0);
    const rate = span > 0 ? ((arrivals.length - 1) / span) * 1000 : Number.NaN;
    console.log(
      `${'burst: the whole service, 100 entries at once'.padEnd(44)} ${arrivals.length} reached the door in ${span.toFixed(1)} ms after the first (${first.toFixed(1)} ms after the ticks): ${rate.toFixed(0)} orders/s; ${refused} refused ORDER_RATE (the 10/s limit)`,
    );
  } finally {
    clearInterval(keepFresh);
    await stack.stop();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function adapterAndFloor() {
  const sim = await startKiteSimulator({
    ...CREDS,
    port: 0,
    tickIntervalMs: 0,
    cashRupees: 1_000_000_000,
    onOrderRequest: () => {
      const at = performance.now();
      arrivals.push(at);
      arrived?.(at);
    },
  });
  const session = await new KiteConnect({
    api_key: CREDS.apiKey,
    root: sim.apiRoot,
  }).generateSession(sim.control.issueRequestToken(), CREDS.apiSecret);
  const token = session.access_token;
  const log = pino({ level: 'silent' });
  const step = () => sim.control.step();

  // The adapter path.
  const ticker = new KiteTickerConnection({
    apiKey: CREDS.apiKey,
    accessToken: () => token,
    root: sim.tickerRoot,
  });
  const kite = new KiteBroker({
    apiKey: CREDS.apiKey,
    apiSecret: CREDS.apiSecret,
    accessToken: () => token,
    token: { name: 'PRIMARY', expiresAt: () => Date.now() + 3_600_000 },
    root: sim.apiRoot,
    strategies: {},
    algoStrategies: new Map([[GENERIC_ALGO_ID, 'bench']]),
    ticker,
    pollMs: 60_000,
    log,
  });
  await kite.start();
  const infy = kite.instruments.bySymbolName('INFY')?.instrument_token;
  if (infy === undefined) throw new Error('the simulator lists no INFY');
  const feed = new KiteFeed({ ticker, symbols: new Map([[infy, 'INFY']]), log });
  let armed = false;
  let sequence = 0;
  feed.start((tick) => {
    if (!armed || tick.symbol !== 'INFY') return;
    armed = false;
    void kite.submit(order(sequence++)).catch(() => undefined);
  });
  ticker.start();
  while (!ticker.connected()) await sleep(20);
  await series(
    'tick-to-order: KiteFeed + KiteBroker only',
    step,
    () => {
      armed = true;
    },
    { target: 10 },
  );
  await sleep(1000);
  await burst('burst: KiteBroker.submit x100', (i) => kite.submit(order(100_000 + i)));
  feed.stop();
  ticker.close();
  await kite.close();

  // The floor: a bare socket and a bare POST (refused at the door's auth, after it is timed).
  const ws = new WebSocket(`${sim.tickerRoot}?api_key=${CREDS.apiKey}&access_token=${token}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ a: 'subscribe', v: [infy] }));
  ws.send(JSON.stringify({ a: 'mode', v: ['full', [infy]] }));
  const post = () =>
    fetch(`${sim.apiRoot}/orders/regular`, {
      method: 'POST',
      headers: { 'x-kite-version': '3', authorization: 'token floor:floor' },
      body: 'tradingsymbol=INFY',
    }).then((r) => r.arrayBuffer());
  let floorArmed = false;
  ws.on('message', (_data, isBinary) => {
    if (!isBinary || !floorArmed) return;
    floorArmed = false;
    void post().catch(() => undefined);
  });
  await sleep(200);
  await series('floor: bare ws -> fetch POST', step, () => {
    floorArmed = true;
  });
  await burst('floor burst: fetch POST x100', () => post());
  ws.close();
  await sim.stop();
}

async function main() {
  await wholeService();
  await adapterAndFloor();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
