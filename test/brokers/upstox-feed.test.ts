import pino from 'pino';
import type { UpstoxSimulator } from '../../scripts/sim/upstox/simulator';
import { StreamSocket } from '../../services/trading/src/broker/stream-socket';
import { UpstoxVenue } from '../../services/trading/src/broker/upstox/upstox-venue';
import type { Tick } from '../../services/trading/src/market/bars';
import { UpstoxFeed } from '../../services/trading/src/market/upstox-feed';
import { eventually } from '../trading/harness';
import { startTestUpstoxSimulator, upstoxAccessToken } from './upstox-venue';

const INFY = 'NSE_EQ|INE009A01021';
const RELIANCE = 'NSE_EQ|INE002A01018';

describe('UpstoxFeed against the Upstox simulator (Market Data Feed V3, protobuf)', () => {
  let simulator: UpstoxSimulator;
  let socket: StreamSocket;
  let feed: UpstoxFeed;
  let ticks: Tick[];
  let logs: Array<Record<string, unknown>>;
  let clock: number | undefined;

  beforeEach(async () => {
    simulator = await startTestUpstoxSimulator();
    const token = await upstoxAccessToken(simulator);
    const venue = new UpstoxVenue({ accessToken: () => token, apiRoot: simulator.apiRoot });
    logs = [];
    ticks = [];
    clock = undefined;
    socket = new StreamSocket({
      endpoint: async () => ({ url: await venue.marketFeedUri() }),
      reconnectBaseMs: 50,
    });
    feed = new UpstoxFeed({
      socket,
      symbols: new Map([
        [INFY, 'INFY'],
        [RELIANCE, 'RELIANCE'],
      ]),
      staleSeconds: 2,
      checkMs: 50,
      log: pino({ level: 'info' }, { write: (l: string) => logs.push(JSON.parse(l)) }),
      now: () => clock ?? Date.now(),
    });
    feed.start((t) => ticks.push(t));
    socket.start();
    await eventually(() => socket.connected(), 5000, 'the market feed socket');
  });
  afterEach(async () => {
    feed.stop();
    socket.close();
    await simulator.stop();
  });

  const stepUntil = (done: () => boolean, what: string) =>
    eventually(
      () => {
        simulator.control.step();
        return done();
      },
      5000,
      what,
    );

  it('turns protobuf frames into ticks with the best bid and ask of the depth', async () => {
    await stepUntil(() => ticks.some((t) => t.symbol === 'RELIANCE'), 'a RELIANCE tick');

    const infy = ticks.filter((t) => t.symbol === 'INFY').at(-1);
    expect(infy?.price).toBeGreaterThan(0);
    expect(infy?.bid).toBeLessThan(infy?.price ?? 0);
    expect(infy?.ask).toBeGreaterThan(infy?.price ?? 0);
    expect(feed.lastUpdates().ticks).toBeDefined();
    expect(feed.counters.malformedMessages).toBe(0);
  });

  it('counts and logs a frame protobuf cannot decode, and keeps going', async () => {
    simulator.control.sendMalformedFrame();

    await eventually(() => feed.counters.malformedMessages === 1, 5000, 'the bad frame counted');
    const before = ticks.length;
    await stepUntil(() => ticks.length > before, 'ticks after the bad frame');

    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'malformed Upstox feed frame dropped' }),
    );
  });

  it('re-subscribes after the stream drops and reports FEED_STALE then FEED_RECOVER', async () => {
    await stepUntil(() => ticks.length > 0, 'the first tick');
    clock = Date.now() + 10_000;
    await eventually(() => feed.isStale(), 5000, 'FEED_STALE');

    const connects = socket.connects;
    simulator.control.dropStreams();
    await eventually(() => socket.connects > connects, 5000, 'the reconnect');
    clock = undefined;
    const before = ticks.length;
    await stepUntil(() => ticks.length > before && !feed.isStale(), 'ticks and FEED_RECOVER');

    const events = logs.map((l) => l.event).filter(Boolean);
    expect(events).toEqual(['FEED_STALE', 'FEED_RECOVER']);
    expect(logs.find((l) => l.event === 'FEED_STALE')).toMatchObject({
      tick_lag_sec: expect.any(Number),
      depth_lag_sec: expect.any(Number),
    });
  });
});
