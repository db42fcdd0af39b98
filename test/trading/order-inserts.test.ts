import { randomUUID } from 'node:crypto';
import type { Pool, QueryConfig } from 'pg';
import { SharedOrderRateLimiter } from '../../services/trading/src/broker/order-rate-limiter';
import type { Order } from '../../services/trading/src/domain';
import { type InsertOutcome, OrderInserts } from '../../services/trading/src/oms/order-inserts';
import { databasePerFile } from '../support/database';
import { eventually } from './harness';

const LIMIT = 3;
const FENCE = { holder: 'task-a', fenceToken: 7 };

const order = (overrides: Partial<Order> = {}): Order => ({
  id: randomUUID(),
  clientOrderId: `c-${randomUUID()}`,
  strategyId: 'ma-cross',
  symbol: 'INFY',
  side: 'BUY',
  type: 'MARKET',
  quantity: 1,
  stopPrice: 1400,
  reduceOnly: false,
  status: 'NEW',
  filledQuantity: 0,
  fenceToken: FENCE.fenceToken,
  tradingDay: '2026-11-23',
  createdAt: Date.now(),
  ...overrides,
});

/** Counts the statements `pool` is asked to run, by name (or text). */
function counting(pool: Pool): { pool: Pool; statements: string[] } {
  const statements: string[] = [];
  const query = pool.query.bind(pool) as (config: QueryConfig) => Promise<unknown>;
  const counted = Object.create(pool) as Pool;
  counted.query = ((config: QueryConfig) => {
    statements.push(config.name ?? config.text);
    return query(config);
  }) as Pool['query'];
  return { pool: counted, statements };
}

describe('OrderInserts (group commit)', () => {
  const db = databasePerFile(['order_rate_buckets']);
  let limiter: SharedOrderRateLimiter;

  beforeEach(async () => {
    await db.pool.query(
      `INSERT INTO strategy_leases (strategy_id, holder, fence_token, expires_at)
       VALUES ('ma-cross', $1, $2, now() + interval '1 hour')
       ON CONFLICT (strategy_id) DO UPDATE SET holder = $1, fence_token = $2, expires_at = EXCLUDED.expires_at`,
      [FENCE.holder, FENCE.fenceToken],
    );
    limiter = new SharedOrderRateLimiter(db.pool, {
      bucket: 'test/client',
      taskId: 'task-a',
      limit: LIMIT,
      marginMs: 200,
    });
  });

  const stored = async (orders: readonly Order[]) =>
    (
      await db.pool.query<{ client_order_id: string }>(
        'SELECT client_order_id FROM orders WHERE client_order_id = ANY($1) ORDER BY created_at',
        [orders.map((o) => o.clientOrderId)],
      )
    ).rows.map((r) => r.client_order_id);

  it('writes the orders that arrive together in one statement, each entry with its slot', async () => {
    // Arrange
    const { pool, statements } = counting(db.pool);
    const inserts = new OrderInserts(pool, limiter);
    const entries = [order(), order()];
    const exit = order({ reduceOnly: true, side: 'SELL', stopPrice: undefined });

    // Act
    const outcomes = await Promise.all([
      ...entries.map((o) => inserts.insert(o, { fence: FENCE, slot: true })),
      inserts.insert(exit, { fence: FENCE, slot: false }),
    ]);

    // Assert
    expect(statements).toEqual(['orders-insert-batch']);
    expect(outcomes.map((o) => o.status)).toEqual(['WRITTEN', 'WRITTEN', 'WRITTEN']);
    expect(outcomes[0]).toMatchObject({ slot: { granted: true, stamp: expect.any(String) } });
    expect(outcomes[2]).not.toHaveProperty('slot');
    expect(await stored([...entries, exit])).toHaveLength(3);
    const { rows } = await db.pool.query(
      "SELECT sum(granted)::int AS n FROM order_rate_window('test/client')",
    );
    expect(rows[0]).toEqual({ n: 2 });
  });

  it('batches what arrives while a commit is in flight into the next statement', async () => {
    // Arrange: the bucket is locked, so the first batch waits inside its statement.
    const { pool, statements } = counting(db.pool);
    const inserts = new OrderInserts(pool, limiter);
    const first = order({ reduceOnly: false });
    await db.pool.query("INSERT INTO order_rate_buckets (bucket) VALUES ('test/client')");
    const blocker = await db.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query("SELECT 1 FROM order_rate_buckets WHERE bucket = 'test/client' FOR UPDATE");
    const firstOutcome = inserts.insert(first, { fence: FENCE, slot: true });
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Act: two more arrive while it is in flight; then the lock goes.
    const later = [order(), order({ reduceOnly: true, side: 'SELL' })];
    const laterOutcomes = later.map((o) =>
      inserts.insert(o, { fence: FENCE, slot: !o.reduceOnly }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await blocker.query('COMMIT');
    blocker.release();

    // Assert
    expect((await firstOutcome).status).toBe('WRITTEN');
    expect((await Promise.all(laterOutcomes)).map((o) => o.status)).toEqual(['WRITTEN', 'WRITTEN']);
    expect(statements).toEqual(['orders-insert-batch', 'orders-insert-batch']);
  });

  it('answers each order of a batch for itself: lease lost, duplicate, no order-rate slot', async () => {
    // Arrange
    const inserts = new OrderInserts(db.pool, limiter);
    const recorded = order();
    expect((await inserts.insert(recorded, { fence: FENCE, slot: true })).status).toBe('WRITTEN');
    const stale = order();
    const again = order({ clientOrderId: recorded.clientOrderId });
    const entries = [order(), order(), order()];

    // Act: the window has LIMIT - 1 slots left for three entries.
    const outcomes = await Promise.all([
      inserts.insert(stale, { fence: { ...FENCE, fenceToken: 6 }, slot: true }),
      inserts.insert(again, { fence: FENCE, slot: true }),
      ...entries.map((o) => inserts.insert(o, { fence: FENCE, slot: true })),
    ]);

    // Assert: the stale order took no slot, the repeat took one (the safe side), so only the
    // first entry found one.
    expect(outcomes.map((o) => o.status)).toEqual([
      'LEASE_LOST',
      'DUPLICATE',
      'WRITTEN',
      'ORDER_RATE',
      'ORDER_RATE',
    ]);
    expect(outcomes[3]).toMatchObject({
      message: expect.stringMatching(/^ORDER_RATE: the client's 3 messages per 1200 ms are taken/),
    });
    expect(await stored([stale, ...entries])).toEqual([entries[0]?.clientOrderId]);
    expect(limiter.refusalWaitMs()).toBeGreaterThan(0);
  });

  it('writes no order whose lease another task took while its batch waited for the bucket', async () => {
    // Arrange: the batch waits on the bucket lock this test holds.
    const inserts = new OrderInserts(db.pool, limiter);
    await db.pool.query("INSERT INTO order_rate_buckets (bucket) VALUES ('test/client')");
    const blocker = await db.pool.connect();
    const entry = order();
    let outcome: Promise<InsertOutcome>;
    try {
      await blocker.query('BEGIN');
      await blocker.query(
        "SELECT 1 FROM order_rate_buckets WHERE bucket = 'test/client' FOR UPDATE",
      );
      outcome = inserts.insert(entry, { fence: FENCE, slot: true });
      await eventually(
        async () =>
          (
            await db.pool.query(
              "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH input AS%'",
            )
          ).rowCount === 1,
        5000,
        'the batch waiting for the bucket',
      );

      // Act: another task takes the strategy over meanwhile.
      await db.pool.query(
        "UPDATE strategy_leases SET holder = 'task-b', fence_token = fence_token + 1 WHERE strategy_id = 'ma-cross'",
      );
    } finally {
      await blocker.query('COMMIT');
      blocker.release();
    }

    // Assert
    expect((await outcome).status).toBe('LEASE_LOST');
    expect(await stored([entry])).toEqual([]);
  });

  it('fails only the orders of a batch the database refuses, each with its error', async () => {
    // Arrange: a quantity the orders table refuses, in a batch of two.
    const inserts = new OrderInserts(db.pool, limiter);
    const bad = order({ quantity: 0 });
    const neighbour = order();

    // Act
    const failed = await Promise.allSettled([
      inserts.insert(bad, { fence: FENCE, slot: true }),
      inserts.insert(neighbour, { fence: FENCE, slot: true }),
    ]);
    const next = await inserts.insert(order(), { fence: FENCE, slot: true });

    // Assert
    for (const f of failed) {
      expect(f.status).toBe('rejected');
      expect((f as PromiseRejectedResult).reason.message).toMatch(
        /violates check constraint "orders_quantity_check"/,
      );
    }
    expect(await stored([bad, neighbour])).toEqual([]);
    expect(next.status).toBe('WRITTEN');
    // The failed batch took no slot: only the next one is in the window.
    const { rows } = await db.pool.query(
      "SELECT sum(granted)::int AS n FROM order_rate_window('test/client')",
    );
    expect(rows[0]).toEqual({ n: 1 });
  });
});
