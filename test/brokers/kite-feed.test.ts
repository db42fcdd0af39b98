import { KiteTicker } from 'kiteconnect';
import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import { KiteTickerConnection } from '../../services/trading/src/broker/kite/kite-ticker-connection';
import type { Tick } from '../../services/trading/src/market/bars';
import { decodeKiteMessage } from '../../services/trading/src/market/kite-binary';
import { KiteFeed } from '../../services/trading/src/market/kite-feed';
import { loggedInClient, SIM_CREDENTIALS, startTestSimulator } from '../sim/kite-sim-support';
import { eventually } from '../trading/harness';
import { linesLogger, stepUntil as stepSimulatorUntil } from './feed-suite';

const INFY = 1594 * 256 + 1;
const RELIANCE = 2885 * 256 + 1;
const NIFTY = 256265;

describe('KiteFeed against the Kite simulator', () => {
  let simulator: KiteSimulator;
  let ticker: KiteTickerConnection;
  let feed: KiteFeed;
  let ticks: Tick[];
  let frames: ArrayBuffer[];
  let logs: Array<Record<string, unknown>>;

  beforeEach(async () => {
    simulator = await startTestSimulator();
    const { session } = await loggedInClient(simulator);
    logs = [];
    ticks = [];
    frames = [];
    ticker = new KiteTickerConnection({
      apiKey: SIM_CREDENTIALS.apiKey,
      accessToken: () => session.access_token,
      root: simulator.tickerRoot,
      reconnectBaseMs: 50,
    });
    ticker.onBinary((data) => frames.push(data));
    feed = new KiteFeed({
      ticker,
      symbols: new Map([
        [INFY, 'INFY'],
        [RELIANCE, 'RELIANCE'],
      ]),
      staleSeconds: 2,
      checkMs: 100,
      log: linesLogger(logs),
    });
    feed.start((t) => ticks.push(t));
    ticker.start();
    await eventually(() => ticker.connected(), 5000, 'the ticker');
  });
  afterEach(async () => {
    feed.stop();
    ticker.close();
    await simulator.stop();
  });

  const stepUntil = (done: () => boolean, what: string) =>
    stepSimulatorUntil(simulator.control, done, what);

  it('turns full-mode packets into ticks of the universe with the best bid and ask', async () => {
    await stepUntil(() => ticks.some((t) => t.symbol === 'RELIANCE'), 'a RELIANCE tick');

    const infy = ticks.find((t) => t.symbol === 'INFY');
    expect(infy?.price).toBeGreaterThan(0);
    expect(infy && infy.bid <= infy.price && infy.price <= infy.ask).toBe(true);
    expect(feed.lastUpdates().ticks).toBeGreaterThan(Date.now() - 5000);
    expect(feed.lastUpdates().depth).toBeGreaterThan(Date.now() - 5000);
  });

  it('decodes every frame exactly as the official SDK parses it', async () => {
    await stepUntil(() => frames.some((f) => f.byteLength > 2), 'a tick frame');
    // reconnect: false, or the SDK's process-wide auto-reconnect would be switched on.
    const sdk = new KiteTicker({
      api_key: 'x',
      access_token: 'y',
      reconnect: false,
    }) as unknown as {
      parseBinary(data: ArrayBuffer): unknown[];
    };

    for (const frame of frames.filter((f) => f.byteLength > 2)) {
      const ours = decodeKiteMessage(frame).packets;
      const theirs = sdk.parseBinary(frame) as Array<{
        instrument_token: number;
        last_price: number;
        depth?: { buy: Array<{ price: number }>; sell: Array<{ price: number }> };
        exchange_timestamp?: Date | null;
      }>;
      expect(ours.map((p) => [p.instrumentToken, p.lastPrice, p.bestBid, p.bestAsk])).toEqual(
        theirs.map((t) => [
          t.instrument_token,
          t.last_price,
          t.depth?.buy[0]?.price,
          t.depth?.sell[0]?.price,
        ]),
      );
      expect(ours.map((p) => p.exchangeTimestamp)).toEqual(
        theirs.map((t) => t.exchange_timestamp?.getTime()),
      );
    }
  });

  it('counts and logs a truncated and a garbage frame, and keeps ticking', async () => {
    simulator.control.sendMalformedPacket('truncated');
    simulator.control.sendMalformedPacket('garbage');
    await eventually(() => feed.counters.malformedMessages >= 2, 5000, 'both bad frames counted');
    const before = ticks.length;

    await stepUntil(() => ticks.length > before, 'ticks after the bad frames');

    expect(
      logs.filter((l) => l.msg === 'malformed Kite ticker message: its bad packets are dropped'),
    ).toHaveLength(2);
    expect(JSON.stringify(logs)).toMatch(/truncated: packet/);
  });

  it('counts a packet for an instrument token outside the universe and ignores it', async () => {
    ticker.subscribe([NIFTY], 'full');

    await stepUntil(() => feed.counters.unknownTokens > 0, 'the NIFTY packet counted');

    expect(ticks.every((t) => t.symbol === 'INFY' || t.symbol === 'RELIANCE')).toBe(true);
    expect(logs.some((l) => l.instrumentToken === NIFTY)).toBe(true);
  });

  it('reconnects after a drop and resubscribes the universe', async () => {
    await stepUntil(() => ticks.length > 0, 'a first tick');
    const connects = ticker.connects;

    simulator.control.dropTickers();
    await eventually(() => ticker.connects > connects && ticker.connected(), 5000, 'the reconnect');
    const before = ticks.length;
    await stepUntil(() => ticks.length > before, 'ticks after the reconnect');

    expect(ticks.slice(before).map((t) => t.symbol)).toContain('INFY');
  });

  it('logs FEED_STALE when the exchange goes quiet and FEED_RECOVER when it trades again', async () => {
    await stepUntil(() => ticks.length > 0, 'a first tick');

    await eventually(() => logs.some((l) => l.event === 'FEED_STALE'), 6000, 'FEED_STALE');
    expect(feed.isStale()).toBe(true);
    await stepUntil(() => logs.some((l) => l.event === 'FEED_RECOVER'), 'FEED_RECOVER');

    expect(feed.isStale()).toBe(false);
    const stale = logs.find((l) => l.event === 'FEED_STALE');
    expect(stale?.tick_lag_sec).toBeGreaterThan(2);
  });
});
