import type { Pool, QueryConfig } from 'pg';
import { PaperBroker } from '../../services/trading/src/broker/paper-broker';
import {
  OrderRateRefusedError,
  withOrderRateLimit,
} from '../../services/trading/src/broker/rate-limited-broker';
import type { Order } from '../../services/trading/src/domain';
import { CircuitBreaker } from '../../services/trading/src/health/circuit-breaker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { doorExit } from './order-requests';

const entry = (i: number): Order => ({
  ...doorExit(i),
  clientOrderId: `entry-${i}`,
  side: 'BUY',
  reduceOnly: false,
});

/**
 * The limiter's pool, with a process that is busy when a slot's grant comes back: the clock the
 * door reads jumps by `lateMs` before the answer is seen, and `meanwhile` runs first (another
 * task's messages counted while this one waited).
 */
function busyWhenGranted(pool: Pool, lateMs: number, meanwhile: () => Promise<unknown>) {
  let skew = 0;
  let granted = false;
  const slow = {
    query: async (config: QueryConfig) => {
      const result = await pool.query(config);
      if (config.name === 'take-order-rate-slot' && !granted) {
        granted = true;
        await meanwhile();
        skew += lateMs;
      }
      return result;
    },
  } as unknown as Pool;
  return { pool: slow, now: () => Date.now() + skew };
}

describe('RateLimitedBroker with a late entry slot', () => {
  let db: TestDatabase;
  let venue: PaperBroker;

  beforeAll(async () => {
    db = await createTestDatabase();
    venue = new PaperBroker(
      db.pool,
      { quote: () => ({ price: 1500, bid: 1499.95, ask: 1500.05, receivedAt: Date.now() }) },
      { slippageBps: 0, latencyMs: 60_000, partialFillProbability: 0, seed: 1, tokenNames: [] },
    );
  });

  afterAll(async () => {
    await venue.close();
    await db.close();
  });

  /** The grants the bucket's per-second window holds. */
  const grants = async (bucket: string): Promise<number> =>
    (
      await db.pool.query<{ n: number }>(
        'SELECT coalesce(sum(granted), 0)::int AS n FROM order_rate_window($1)',
        [bucket],
      )
    ).rows[0]?.n ?? 0;
  const received = async (clientOrderId: string): Promise<number> =>
    (
      await db.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM paper.messages WHERE client_order_id = $1',
        [clientOrderId],
      )
    ).rows[0]?.n ?? 0;

  it('sends a late entry restamped to its send time when the window then has room', async () => {
    // Arrange: the grant is seen 150 ms after it was asked for (the send budget is 100 ms); the
    // window holds nothing else.
    const busy = busyWhenGranted(db.pool, 150, async () => undefined);
    const door = withOrderRateLimit(venue, busy.pool, {
      bucket: 'test/late-room',
      taskId: 'door',
      limit: 2,
      marginMs: 200,
      now: busy.now,
    });

    // Act
    const ack = await door.submit(entry(1));

    // Assert: sent once; its grant moved, not added (one in the window)
    expect(ack.brokerOrderId).toMatch(/^PB-/);
    expect(await received('entry-1')).toBe(1);
    expect(await grants('test/late-room')).toBe(1);
    expect(door.limiter.view().counts).toMatchObject({
      restampedEntries: 1,
      lateEntries: 0,
      databaseRoundTrips: 2,
    });
  });

  it('refuses a late entry ORDER_RATE when the window at its send time is full', async () => {
    // Arrange: limit 2; while the grant waits to be seen, another task's two messages are
    // counted (sends on its own share, backfilled when its database came back).
    const bucket = 'test/late-full';
    const busy = busyWhenGranted(db.pool, 150, () =>
      db.pool.query(
        `UPDATE order_rate_buckets
            SET second_window = order_rate_ring_add(second_window, order_rate_ms(clock_timestamp()), 2)
          WHERE bucket = $1`,
        [bucket],
      ),
    );
    const door = withOrderRateLimit(venue, busy.pool, {
      bucket,
      taskId: 'door',
      limit: 2,
      marginMs: 200,
      now: busy.now,
    });

    // Act
    const outcome = await door.submit(entry(2)).catch((error: unknown) => error);

    // Assert: refused before the venue; its first grant stays counted (errs on the safe side)
    expect(outcome).toBeInstanceOf(OrderRateRefusedError);
    expect((outcome as Error).message).toMatch(/^ORDER_RATE: .*are taken now; not sent$/);
    expect(await received('entry-2')).toBe(0);
    expect(await grants(bucket)).toBe(3);
    expect(door.limiter.view().counts).toMatchObject({ restampedEntries: 0, lateEntries: 1 });
  });
});

describe('RateLimitedBroker behind the broker circuit breaker', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.close();
  });

  it('does not count an exit queued for its rate slot against the breaker call timeout', async () => {
    // Arrange: 2 messages a second, a breaker that times out a call after 250 ms and opens on
    // the first failure; 6 exits at once, so the last ones wait 1-2 s for their slots.
    const venue = new PaperBroker(
      db.pool,
      { quote: () => ({ price: 1500, bid: 1499.95, ask: 1500.05, receivedAt: Date.now() }) },
      { slippageBps: 0, latencyMs: 60_000, partialFillProbability: 0, seed: 1, tokenNames: [] },
    );
    const door = withOrderRateLimit(venue, db.pool, {
      bucket: 'test/door',
      taskId: 'door',
      limit: 2,
      marginMs: 200,
    });
    const breaker = new CircuitBreaker('broker', { failureThreshold: 1, callTimeoutMs: 250 });
    const started = Date.now();

    // Act: the order manager's wiring, the breaker passed as the door's `through`.
    const acks = await Promise.all(
      Array.from({ length: 6 }, (_, i) => door.submit(doorExit(i), (send) => breaker.run(send))),
    );
    const waited = Date.now() - started;

    // Assert
    expect(waited).toBeGreaterThan(1000);
    expect(acks.every((a) => a.brokerOrderId.startsWith('PB-'))).toBe(true);
    expect(breaker.snapshot()).toMatchObject({ state: 'CLOSED', consecutiveFailures: 0 });
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM paper.messages WHERE kind = 'NEW'",
    );
    expect(rows[0]?.n).toBe(6);
    await venue.close();
  });

  it('counts a modify as a message: it waits for its slot, the venue sees no more than the limit', async () => {
    // Arrange: 2 messages a second; two resting orders take both slots of the first second.
    const venue = new PaperBroker(
      db.pool,
      { quote: () => ({ price: 1500, bid: 1499.95, ask: 1500.05, receivedAt: Date.now() }) },
      { slippageBps: 0, latencyMs: 60_000, partialFillProbability: 0, seed: 1, tokenNames: [] },
    );
    const door = withOrderRateLimit(venue, db.pool, {
      bucket: 'test/door-modify',
      taskId: 'door',
      limit: 2,
      marginMs: 200,
    });
    const resting = (i: number): Order => ({
      ...doorExit(i),
      clientOrderId: `modify-${i}`,
      type: 'LIMIT',
      limitPrice: 2000,
    });
    await Promise.all([door.submit(resting(300)), door.submit(resting(301))]);

    // Act
    await door.modify('modify-300', { limitPrice: 1990 });

    // Assert: the venue received the modify (and applied it) a second or more after the first
    // order, so no 1 s window of its receipts holds more than 2 messages.
    const { rows } = await db.pool.query<{ kind: string; after_first_ms: number }>(
      `SELECT kind, extract(epoch FROM received_at - min(received_at) OVER ()) * 1000 AS after_first_ms
         FROM paper.messages WHERE client_order_id LIKE 'modify-%' ORDER BY received_at`,
    );
    expect(rows.map((r) => r.kind)).toEqual(['NEW', 'NEW', 'MODIFY']);
    expect(Number(rows[2]?.after_first_ms)).toBeGreaterThanOrEqual(1000);
    const { rows: order } = await db.pool.query<{ limit_price: string }>(
      `SELECT limit_price FROM paper.orders WHERE client_order_id = 'modify-300'`,
    );
    expect(Number(order[0]?.limit_price)).toBe(1990);
    await venue.close();
  });

  it('still times out a venue call that hangs once its slot is granted', async () => {
    // Arrange: a door whose venue never answers (its `through` is the breaker's timed run).
    const venue = new PaperBroker(
      db.pool,
      { quote: () => ({ price: 1500, bid: 1499.95, ask: 1500.05, receivedAt: Date.now() }) },
      { slippageBps: 0, latencyMs: 60_000, partialFillProbability: 0, seed: 1, tokenNames: [] },
    );
    const door = withOrderRateLimit(venue, db.pool, {
      bucket: 'test/door-hang',
      taskId: 'door',
      limit: 2,
      marginMs: 200,
    });
    const breaker = new CircuitBreaker('broker', { failureThreshold: 1, callTimeoutMs: 250 });
    const hung = new Promise<never>(() => undefined);

    // Act: the breaker wraps what the door sends; here the send never settles.
    const outcome = door
      .submit(doorExit(100), (send) => breaker.run(() => send().then(() => hung)))
      .catch((error: unknown) => error);

    // Assert
    expect(await outcome).toMatchObject({ name: 'TimeoutError' });
    expect(breaker.snapshot().state).toBe('OPEN');
    await venue.close();
  });
});
