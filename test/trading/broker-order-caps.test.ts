import {
  BROKER_ORDER_CAPS,
  type BrokerOrderCaps,
  orderRatePerSecond,
} from '../../contract/broker-order-caps';
import { SharedOrderRateLimiter } from '../../services/trading/src/broker/order-rate-limiter';
import { DailyOrderCapError } from '../../services/trading/src/broker/order-rate-slots';
import { PaperBroker } from '../../services/trading/src/broker/paper-broker';
import {
  OrderRateRefusedError,
  RateLimitedBroker,
} from '../../services/trading/src/broker/rate-limited-broker';
import { databasePerFile, type TestDatabase } from '../support/database';
import { eventually } from './harness';
import { doorExit } from './order-requests';

// Kite's caps scaled down: 5 orders a "minute" of 1.5 s (the second's window is 1.2 s) and 7 a day.
const SCALED: BrokerOrderCaps = { label: 'Kite', perSecond: 10, perMinute: 5, perDay: 7 };
const MINUTE_MS = 1500;
// Angel One's hour, scaled down: an "hour" of 2.5 s.
const HOUR_MS = 2500;

const limiterOn = (db: TestDatabase, caps: BrokerOrderCaps, onDailyCap?: (why: string) => void) =>
  new SharedOrderRateLimiter(db.pool, {
    bucket: 'test/caps',
    taskId: 'a',
    limit: 8,
    marginMs: 200,
    brokerCaps: caps,
    minuteMs: MINUTE_MS,
    hourMs: HOUR_MS,
    onDailyCap,
  });

async function takeEntries(limiter: SharedOrderRateLimiter, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1)
    expect(await limiter.tryTake()).toMatchObject({ granted: true });
}

describe("the broker's own order caps", () => {
  it('limits the stage to the tighter of its own per-second limit and the broker cap', () => {
    expect(orderRatePerSecond(8, BROKER_ORDER_CAPS.kite)).toBe(8);
    expect(orderRatePerSecond(12, BROKER_ORDER_CAPS.kite)).toBe(10);
    expect(orderRatePerSecond(12, BROKER_ORDER_CAPS.upstox)).toBe(12);
    expect(BROKER_ORDER_CAPS.kite).toMatchObject({ perSecond: 10, perMinute: 200, perDay: 3000 });
  });
});

describe('SharedOrderRateLimiter with minute and day caps (PostgreSQL)', () => {
  const db = databasePerFile(['order_rate_buckets']);

  it('refuses an entry over the minute cap, naming it, and grants again once the minute slides', async () => {
    // Arrange: the second's limit (8) has room; the minute's (5) is taken.
    const limiter = limiterOn(db, { ...SCALED, perDay: 100 });
    await takeEntries(limiter, 5);

    // Act
    const refused = await limiter.tryTake();

    // Assert: refused for the minute, with the wait until its oldest stamp leaves it.
    expect(refused).toMatchObject({
      granted: false,
      cap: 'minute',
      why: "Kite's 5 orders a minute are taken",
    });
    if (refused.granted) throw new Error('expected a refusal');
    expect(refused.retryInMs).toBeGreaterThan(0);
    // Up to one slice (a hundredth of the window) past it: a grant counts until its slice ends.
    expect(refused.retryInMs).toBeLessThanOrEqual(MINUTE_MS + MINUTE_MS / 100);
    await eventually(
      async () => (await limiter.tryTake()).granted,
      10_000,
      'a slot after the minute',
    );
  });

  it('refuses an entry over the hour cap, naming it, with the wait until the hour slides', async () => {
    // Arrange: Angel One's caps scaled: a minute of 5 and an hour of 6; 5 sent, then the minute
    // slides (the second and the minute have room again).
    const caps: BrokerOrderCaps = { label: 'Angel One', perSecond: 20, perMinute: 5, perHour: 6 };
    const limiter = limiterOn(db, caps);
    await takeEntries(limiter, 5);
    await eventually(
      async () => (await limiter.tryTake()).granted,
      10_000,
      'a slot after the minute',
    );

    // Act: the hour holds 6
    const refused = await limiter.tryTake();

    // Assert
    expect(refused).toMatchObject({
      granted: false,
      cap: 'hour',
      why: "Angel One's 6 orders an hour are taken",
    });
    if (refused.granted) throw new Error('expected a refusal');
    expect(refused.retryInMs).toBeGreaterThan(0);
    expect(refused.retryInMs).toBeLessThanOrEqual(HOUR_MS + HOUR_MS / 100);
    const { rows } = await db.pool.query(
      'SELECT order_rate_ring_count(hour_window) AS n, (hour_window).window_ms AS ms FROM order_rate_buckets',
    );
    expect(rows).toEqual([{ n: 6, ms: HOUR_MS }]);
  });

  it('keeps no hour for a broker without an hour cap', async () => {
    await takeEntries(limiterOn(db, SCALED), 2);

    const { rows } = await db.pool.query(
      'SELECT hour_window IS NULL AS none FROM order_rate_buckets',
    );

    expect(rows).toEqual([{ none: true }]);
  });

  it('counts Angel One at 1,000 order messages an hour, beside its second and minute', () => {
    expect(BROKER_ORDER_CAPS.angelone).toMatchObject({
      perSecond: 20,
      perMinute: 500,
      perHour: 1000,
    });
  });

  it('names the broker per-second cap when it is the tighter one', async () => {
    const limiter = limiterOn(db, { label: 'Kite', perSecond: 3 });
    await takeEntries(limiter, 3);

    expect(limiter.limit).toBe(3);
    expect(await limiter.tryTake()).toMatchObject({
      granted: false,
      cap: 'second',
      why: "Kite's 3 orders a second are taken",
    });
  });

  it('refuses entries and exits at the daily cap without a wait, until the next IST day', async () => {
    // Arrange: the day's 7 messages sent; the second (8) and the minute (100) have room.
    const loud: string[] = [];
    const limiter = limiterOn(db, { ...SCALED, perMinute: 100 }, (why) => loud.push(why));
    await takeEntries(limiter, 7);

    // Act
    const entry = await limiter.tryTake();
    const exit = limiter.take(() => true);

    // Assert
    expect(entry).toMatchObject({
      granted: false,
      cap: 'day',
      why: "Kite's 7 orders a day are used up (until the next IST day)",
    });
    await expect(exit).rejects.toBeInstanceOf(DailyOrderCapError);
    expect(loud).toEqual(["Kite's 7 orders a day are used up (until the next IST day)"]);
    const { rows } = await db.pool.query(
      "SELECT day_count, day_ist = (now() AT TIME ZONE 'Asia/Kolkata')::date AS today FROM order_rate_buckets",
    );
    expect(rows).toEqual([{ day_count: 7, today: true }]);

    // Act: the bucket's count is from yesterday (IST): a new day starts from zero.
    await db.pool.query('UPDATE order_rate_buckets SET day_ist = day_ist - 1');
    const nextDay = limiterOn(db, { ...SCALED, perMinute: 100 });

    // Assert
    expect(await nextDay.tryTake()).toMatchObject({ granted: true });
    expect((await db.pool.query('SELECT day_count FROM order_rate_buckets')).rows).toEqual([
      { day_count: 1 },
    ]);
  });

  it('grants a batch only up to the tightest cap, in one statement', async () => {
    // Arrange: a day with 4 of 7 left, a minute of 5, a second of 8.
    await db.pool.query(
      `INSERT INTO order_rate_buckets (bucket, day_ist, day_count)
       VALUES ('test/caps', (now() AT TIME ZONE 'Asia/Kolkata')::date, 3)`,
    );
    const take = (count: number) =>
      db.pool.query(
        `SELECT granted, retry_ms, used, tasks, stamp, cap FROM take_order_rate_slots(
           'test/caps', 8, 1200, 'a', '{}'::int[], $1, 5, ${MINUTE_MS}, 7, NULL, ${HOUR_MS})`,
        [count],
      );

    // Act
    const first = (await take(10)).rows[0];
    const second = (await take(1)).rows[0];

    // Assert: 4 granted (the day binds before the minute's 5), then the day refuses outright.
    expect(first).toMatchObject({ granted: 4, cap: 'day', retry_ms: 0 });
    expect(second).toMatchObject({ granted: 0, cap: 'day', retry_ms: 0 });
    expect(limiterOn(db, SCALED).settleBatch(second, Date.now()).refusal).toBe(
      "ORDER_RATE: Kite's 7 orders a day are used up (until the next IST day)",
    );
  });

  it('refuses an exit at the daily cap at the door as ORDER_RATE, unsent', async () => {
    // Arrange
    const venue = new PaperBroker(
      db.pool,
      { quote: () => ({ price: 1500, bid: 1499.95, ask: 1500.05, receivedAt: Date.now() }) },
      { slippageBps: 0, latencyMs: 60_000, partialFillProbability: 0, seed: 1, tokenNames: [] },
    );
    const door = new RateLimitedBroker(venue, limiterOn(db, { ...SCALED, perDay: 1 }));
    await takeEntries(door.limiter, 1);
    const exit = doorExit(1, 'exit-at-cap');

    // Act
    const sent = door.submit(exit);

    // Assert
    await expect(sent).rejects.toBeInstanceOf(OrderRateRefusedError);
    await expect(sent).rejects.toMatchObject({ cap: 'day' });
    expect(await venue.getOrder('exit-at-cap')).toBeUndefined();
    await venue.close();
  });
});
