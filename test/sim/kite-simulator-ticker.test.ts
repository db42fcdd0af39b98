import type { KiteTicker, Tick } from 'kiteconnect';
import WebSocket from 'ws';
import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import {
  EventLog,
  loggedInClient,
  SIM_CREDENTIALS,
  sdkTicker,
  startTestSimulator,
} from './kite-sim-support';

const INFY = 408065;
const NIFTY = 256265;

type ParsedTick = Tick & {
  mode: string;
  tradable: boolean;
  depth?: { buy: { price: number; quantity: number; orders: number }[]; sell: { price: number }[] };
  exchange_timestamp?: Date | null;
};

describe('Kite simulator: the ticker through the official KiteTicker', () => {
  let simulator: KiteSimulator;
  let ticker: InstanceType<typeof KiteTicker>;
  let accessToken: string;
  const ticks = new EventLog<ParsedTick>();
  const messages = new EventLog<ArrayBuffer>();
  const connects = new EventLog<number>();
  const orderUpdates = new EventLog<{ order_id: string; status: string }>();

  beforeAll(async () => {
    simulator = await startTestSimulator({ tickIntervalMs: 50 });
    accessToken = (await loggedInClient(simulator)).session.access_token;
    ticker = sdkTicker(simulator, accessToken, true);
    ticker.on('ticks', (batch: ParsedTick[]) => {
      for (const tick of batch) ticks.push(tick);
    });
    ticker.on('message', (data: ArrayBuffer) => messages.push(data));
    ticker.on('order_update', orderUpdates.push);
    ticker.on('connect', () => {
      // A new connection starts with no subscriptions: subscribe again, as the feed must.
      ticker.subscribe([INFY, NIFTY]);
      ticker.setMode(ticker.modeFull, [INFY, NIFTY]);
      connects.push(connects.events.length + 1);
    });
    ticker.connect();
    await connects.next(() => true);
  });
  afterAll(async () => {
    // ticker.js exits the process when a disconnect finds reconnection off after it was on.
    ticker.autoReconnect(false, 1, 1);
    ticker.disconnect();
    await simulator.stop();
  });

  it('streams full-mode ticks that ticker.js parses into quotes with 5-level depth', async () => {
    const tick = await ticks.next((t) => t.instrument_token === INFY && t.mode === 'full');

    expect(tick.tradable).toBe(true);
    expect(tick.depth?.buy).toHaveLength(5);
    expect(tick.depth?.sell).toHaveLength(5);
    expect(tick.depth?.buy[0]?.price).toBeCloseTo(tick.last_price - 0.05, 2);
    expect(tick.depth?.sell[0]?.price).toBeCloseTo(tick.last_price + 0.05, 2);
    expect(tick.exchange_timestamp).toBeInstanceOf(Date);
    expect(tick.last_price).toBeGreaterThan(1200);
  });

  it('streams index packets as untradable full ticks', async () => {
    const tick = await ticks.next((t) => t.instrument_token === NIFTY && t.mode === 'full');

    expect(tick.tradable).toBe(false);
    expect(tick.last_price).toBeGreaterThan(19_000);
    expect(tick.depth).toBeUndefined();
  });

  it('switches a token to ltp mode on request', async () => {
    ticker.setMode(ticker.modeLTP, [NIFTY]);

    const tick = await ticks.next((t) => t.instrument_token === NIFTY && t.mode === 'ltp');

    expect(Object.keys(tick).sort()).toEqual([
      'instrument_token',
      'last_price',
      'mode',
      'tradable',
    ]);
    ticker.setMode(ticker.modeFull, [NIFTY]);
  });

  it('sends a truncated frame that ticker.js cannot parse into a tick, and keeps streaming', async () => {
    const seen = messages.events.length;

    simulator.control.sendMalformedPacket('truncated');
    const torn = await messages.next(
      (m) => messages.events.indexOf(m) >= seen && m.byteLength === 24,
    );
    const later = ticks.events.length;
    await ticks.next((t) => ticks.events.indexOf(t) >= later && t.instrument_token === INFY);

    // parseBinary is public in ticker.js but missing from its type declarations.
    const parser = ticker as unknown as { parseBinary(data: ArrayBuffer): unknown[] };
    expect(parser.parseBinary(torn)).toEqual([]);
  });

  it('sends an order update for an order nobody placed', async () => {
    const orderId = simulator.control.sendUnknownOrderUpdate();

    const update = await orderUpdates.next((u) => u.order_id === orderId);

    expect(update.status).toBe('COMPLETE');
  });

  it('drops every connection on request, and the SDK reconnects and resubscribes', async () => {
    const dropped = simulator.control.dropTickers();
    await connects.next((n) => n === 2);
    const after = ticks.events.length;

    const tick = await ticks.next(
      (t) => ticks.events.indexOf(t) >= after && t.instrument_token === INFY,
    );

    expect(dropped).toBe(1);
    expect(tick.mode).toBe('full');
    expect(simulator.control.tickerConnections()).toBe(1);
  }, 15_000);

  it('refuses a ticker connection with a wrong access token with 403', async () => {
    const socket = new WebSocket(
      `${simulator.tickerRoot}?api_key=${SIM_CREDENTIALS.apiKey}&access_token=wrong`,
    );

    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('error', () => resolve(-1));
    });

    expect(status).toBe(403);
  });
});
