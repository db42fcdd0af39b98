import pino from 'pino';
import type { AngelSimulator } from '../../scripts/sim/angelone/simulator';
import { angelSocketHeaders } from '../../services/trading/src/broker/angelone/angelone-broker';
import { StreamSocket } from '../../services/trading/src/broker/stream-socket';
import { AngelOneFeed } from '../../services/trading/src/market/angelone-feed';
import type { Tick } from '../../services/trading/src/market/bars';
import { eventually } from '../trading/harness';
import { ANGEL_SIM_ACCOUNT, angelSession, startTestAngelSimulator } from './angelone-venue';

describe('AngelOneFeed against the Angel One simulator (WebSocket V2, binary)', () => {
  let simulator: AngelSimulator;
  let socket: StreamSocket;
  let feed: AngelOneFeed;
  let ticks: Tick[];
  let logs: Array<Record<string, unknown>>;
  let clock: number | undefined;
  let session: { jwt: string; feedToken: string };

  const feedSocket = (feedToken: string, onError?: (error: unknown) => void) =>
    new StreamSocket({
      onError,
      endpoint: async () => ({
        url: simulator.feedUrl,
        headers: angelSocketHeaders({
          apiKey: ANGEL_SIM_ACCOUNT.apiKey,
          clientCode: ANGEL_SIM_ACCOUNT.clientCode,
          jwt: session.jwt,
          feedToken,
          bearer: false,
        }),
      }),
      reconnectBaseMs: 50,
      reconnectMaxMs: 200,
      heartbeat: { payload: 'ping', intervalMs: 100 },
    });

  beforeEach(async () => {
    simulator = await startTestAngelSimulator();
    session = await angelSession(simulator);
    logs = [];
    ticks = [];
    clock = undefined;
    socket = feedSocket(session.feedToken);
    feed = new AngelOneFeed({
      socket,
      symbols: new Map([
        ['1594', 'INFY'],
        ['2885', 'RELIANCE'],
      ]),
      staleSeconds: 2,
      checkMs: 50,
      log: pino({ level: 'info' }, { write: (l: string) => logs.push(JSON.parse(l)) }),
      now: () => clock ?? Date.now(),
    });
    feed.start((t) => ticks.push(t));
    socket.start();
    await eventually(() => socket.connected(), 5000, 'the feed socket');
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

  it('turns SNAP_QUOTE packets into ticks with the best bid and ask of the best five', async () => {
    await stepUntil(() => ticks.some((t) => t.symbol === 'RELIANCE'), 'a RELIANCE tick');

    const infy = ticks.filter((t) => t.symbol === 'INFY').at(-1);
    expect(infy?.price).toBeGreaterThan(0);
    expect(infy?.bid).toBeLessThan(infy?.price ?? 0);
    expect(infy?.ask).toBeGreaterThan(infy?.price ?? 0);
    expect(feed.lastUpdates().ticks).toBeDefined();
    expect(feed.lastUpdates().depth).toBeDefined();
    expect(feed.counters.malformedMessages).toBe(0);
  });

  it('keeps the socket alive with "ping" and skips the "pong" answers', async () => {
    let pongs = 0;
    socket.onMessage((data, binary) => {
      if (!binary && data.toString() === 'pong') pongs += 1;
    });

    await eventually(() => pongs >= 3, 5000, 'three heartbeats answered');

    expect(socket.connects).toBe(1);
    expect(feed.counters.errorMessages).toBe(0);
  });

  it('counts and logs a packet cut short, and keeps going', async () => {
    simulator.control.sendMalformedFrame();

    await eventually(() => feed.counters.malformedMessages === 1, 5000, 'the bad packet counted');
    const before = ticks.length;
    await stepUntil(() => ticks.length > before, 'ticks after the bad packet');

    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'malformed Angel One feed packet dropped' }),
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

  it("refuses a socket without the session's feed token (401), and never opens it", async () => {
    const errors: string[] = [];
    const wrong = feedSocket('not-the-feed-token', (e) => errors.push(String(e)));
    wrong.start();

    await eventually(() => errors.length >= 2, 5000, 'two refused attempts');
    wrong.close();

    expect(errors[0]).toMatch(/Unexpected server response: 401/);
    expect(wrong.connects).toBe(0);
  });
});
