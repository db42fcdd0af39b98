import pino, { type Logger } from 'pino';
import type { StreamSocket } from '../../services/trading/src/broker/stream-socket';
import type { Tick } from '../../services/trading/src/market/bars';
import type { MarketDataFeed } from '../../services/trading/src/market/feed';
import { eventually } from '../trading/harness';

/** Steps the simulator's price walk until `done` holds (each step publishes ticks). */
export const stepUntil = (control: { step(): unknown }, done: () => boolean, what: string) =>
  eventually(
    () => {
      control.step();
      return done();
    },
    5000,
    what,
  );

/** A pino logger into `lines`, for tests that assert what the feed logged. */
export const linesLogger = (lines: Array<Record<string, unknown>>) =>
  pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });

/** A feed on a `StreamSocket` with the counters and freshness the shared tests read. */
interface SocketFeed extends MarketDataFeed {
  readonly counters: { readonly malformedMessages: number };
  isStale(): boolean;
}

/** A simulator with the levers the shared feed tests pull. */
interface FeedSimulator {
  readonly control: { step(): unknown; sendMalformedFrame(): unknown; dropStreams(): unknown };
  stop(): Promise<void>;
}

/** The feed options of the suite: stale after 2 s, checked often, its log and clock. */
export interface FeedTestOptions {
  readonly staleSeconds: number;
  readonly checkMs: number;
  readonly log: Logger;
  readonly now: () => number;
}

/** What a feed test sees: its simulator, socket and feed, and what the feed reported. */
export interface SocketFeedFixture<S extends FeedSimulator, F extends SocketFeed> {
  readonly simulator: S;
  readonly socket: StreamSocket;
  readonly feed: F;
  readonly ticks: Tick[];
  readonly logs: Array<Record<string, unknown>>;
}

/** How one broker's socket feed is built and what it calls things. */
export interface SocketFeedCase<S extends FeedSimulator, F extends SocketFeed> {
  readonly title: string;
  startSimulator(): Promise<S>;
  /** The feed's socket and the feed on it, with the feed `options` the suite sets. */
  connect(simulator: S, options: FeedTestOptions): Promise<{ socket: StreamSocket; feed: F }>;
  /** The feed's word for its frames ("frame", "packet"), the test's title and its log line. */
  readonly frame: string;
  readonly malformedTest: string;
  readonly malformedLog: string;
  /** The first test's name, and whether the feed reports a depth update time. */
  readonly ticksTest: string;
  readonly reportsDepth: boolean;
  /** The socket's name in the connection wait. */
  readonly socketName: string;
}

/**
 * The tests every socket feed passes against its simulator: ticks with the best bid and ask, a
 * bad frame counted and skipped, a dropped stream re-subscribed with FEED_STALE then
 * FEED_RECOVER. `extras` declares the broker's own tests inside the same `describe`.
 */
export function describeSocketFeed<S extends FeedSimulator, F extends SocketFeed>(
  feedCase: SocketFeedCase<S, F>,
  extras?: (fixture: SocketFeedFixture<S, F>) => void,
): void {
  describe(feedCase.title, () => {
    let clock: number | undefined;
    const fixture = { ticks: [], logs: [] } as unknown as {
      -readonly [K in keyof SocketFeedFixture<S, F>]: SocketFeedFixture<S, F>[K];
    };
    const step = (done: () => boolean, what: string) =>
      stepUntil(fixture.simulator.control, done, what);

    beforeEach(async () => {
      fixture.simulator = await feedCase.startSimulator();
      fixture.logs = [];
      fixture.ticks = [];
      clock = undefined;
      const { socket, feed } = await feedCase.connect(fixture.simulator, {
        staleSeconds: 2,
        checkMs: 50,
        log: linesLogger(fixture.logs),
        now: () => clock ?? Date.now(),
      });
      fixture.socket = socket;
      fixture.feed = feed;
      feed.start((t) => fixture.ticks.push(t));
      socket.start();
      await eventually(() => socket.connected(), 5000, feedCase.socketName);
    });
    afterEach(async () => {
      fixture.feed.stop();
      fixture.socket.close();
      await fixture.simulator.stop();
    });

    it(feedCase.ticksTest, async () => {
      const { ticks, feed } = fixture;
      await step(() => ticks.some((t) => t.symbol === 'RELIANCE'), 'a RELIANCE tick');

      const infy = ticks.filter((t) => t.symbol === 'INFY').at(-1);
      expect(infy?.price).toBeGreaterThan(0);
      expect(infy?.bid).toBeLessThan(infy?.price ?? 0);
      expect(infy?.ask).toBeGreaterThan(infy?.price ?? 0);
      expect(feed.lastUpdates().ticks).toBeDefined();
      if (feedCase.reportsDepth) expect(feed.lastUpdates().depth).toBeDefined();
      expect(feed.counters.malformedMessages).toBe(0);
    });

    it(feedCase.malformedTest, async () => {
      const { simulator, feed, ticks } = fixture;
      simulator.control.sendMalformedFrame();

      await eventually(
        () => feed.counters.malformedMessages === 1,
        5000,
        `the bad ${feedCase.frame} counted`,
      );
      const before = ticks.length;
      await step(() => ticks.length > before, `ticks after the bad ${feedCase.frame}`);

      expect(fixture.logs).toContainEqual(expect.objectContaining({ msg: feedCase.malformedLog }));
    });

    it('re-subscribes after the stream drops and reports FEED_STALE then FEED_RECOVER', async () => {
      const { simulator, socket, feed, ticks, logs } = fixture;
      await step(() => ticks.length > 0, 'the first tick');
      clock = Date.now() + 10_000;
      await eventually(() => feed.isStale(), 5000, 'FEED_STALE');

      const connects = socket.connects;
      simulator.control.dropStreams();
      await eventually(() => socket.connects > connects, 5000, 'the reconnect');
      clock = undefined;
      const before = ticks.length;
      await step(() => ticks.length > before && !feed.isStale(), 'ticks and FEED_RECOVER');

      const events = logs.map((l) => l.event).filter(Boolean);
      expect(events).toEqual(['FEED_STALE', 'FEED_RECOVER']);
      expect(logs.find((l) => l.event === 'FEED_STALE')).toMatchObject({
        tick_lag_sec: expect.any(Number),
        depth_lag_sec: expect.any(Number),
      });
    });

    extras?.(fixture);
  });
}
