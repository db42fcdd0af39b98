import { performance } from 'node:perf_hooks';
import { KiteConnect } from 'kiteconnect';
import pino from 'pino';
import WebSocket from 'ws';
import { startKiteSimulator } from '../scripts/sim/kite/simulator';
import { KiteBroker } from '../services/trading/src/broker/kite/kite-broker';
import { KiteTickerConnection } from '../services/trading/src/broker/kite/kite-ticker-connection';
import type { Order } from '../services/trading/src/domain';
import { KiteFeed } from '../services/trading/src/market/kite-feed';
import { report, summarize } from './support';

// Tick-to-order at the Kite simulator's door: from the moment the simulator has written a binary
// full-mode tick frame to the moment an order POST reaches its door (before it parses, checks or
// matches anything: the simulator's own latency is outside both ends). Path measured: the
// official SDK's ticker -> KiteTickerConnection -> KiteFeed (binary decode) -> KiteBroker.submit
// (tag, instrument check) -> the SDK's REST placement. Not in it: the OMS, risk and the durable
// insert (bench/order-path measures those). Floor, same run: a bare `ws` client that POSTs on
// every frame with fetch. Simulator and client share this process (one event loop).
// Then orders/s at the door when 100 placements are fired at once (adapter, then floor).
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

/** One tick out, one order in: the door's arrival minus the frame's write. */
async function tickToOrder(step: () => void, arm: () => void): Promise<number> {
  const got = new Promise<number>((resolve) => {
    arrived = resolve;
  });
  arm();
  step();
  const written = performance.now();
  const at = await Promise.race([got, sleep(5000).then(() => Number.NaN)]);
  arrived = undefined;
  if (Number.isNaN(at)) throw new Error('no order reached the door within 5 s of a tick');
  return at - written;
}

async function series(label: string, step: () => void, arm: () => void, target?: number) {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i += 1) {
    const ms = await tickToOrder(step, arm);
    if (i >= WARMUP) samples.push(ms);
    await sleep(PACE_MS);
  }
  report(label, summarize(samples), 'ms', target === undefined ? undefined : { p99Max: target });
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

async function main() {
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
    'tick-to-order: KiteFeed + KiteBroker',
    step,
    () => {
      armed = true;
    },
    10,
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

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
