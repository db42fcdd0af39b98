import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MIGRATIONS_DIR, migrate } from '../../services/common/db/migrate';
import { createTestDatabase, databasePerFile } from '../support/database';

// The order-rate windows as counts per slice (migration 0017), at fixed times: no wall clock.
const W = 1000;
const Q = 10;
const T0 = 1_790_000_000_000;

interface Ring {
  window_ms: number;
  slice_ms: number;
  base: number;
  counts: number[];
}

describe('order-rate rings (PostgreSQL)', () => {
  const db = databasePerFile();

  /** One SQL expression over rings, answered as `v`. */
  const value = async <T>(sql: string, values: unknown[] = []): Promise<T> =>
    (await db.pool.query<{ v: T }>(`SELECT ${sql} AS v`, values)).rows[0]?.v as T;
  const ringAt = (ring: Ring | null, windowMs: number, nowMs: number) =>
    value<Ring>('to_jsonb(order_rate_ring_at($1::text::order_rate_ring, $2, $3))', [
      ring === null ? null : toRow(ring),
      windowMs,
      nowMs,
    ]);
  const add = (ring: Ring, atMs: number, n: number) =>
    value<Ring>('to_jsonb(order_rate_ring_add($1::text::order_rate_ring, $2, $3))', [
      toRow(ring),
      atMs,
      n,
    ]);
  const count = (ring: Ring) =>
    value<number>('order_rate_ring_count($1::text::order_rate_ring)', [toRow(ring)]);
  const freesIn = (ring: Ring, need: number, nowMs: number) =>
    value<number>('order_rate_ring_frees_in($1::text::order_rate_ring, $2, $3)', [
      toRow(ring),
      need,
      nowMs,
    ]);

  it('starts empty, one slice per hundredth of the window, the last slice holding now', async () => {
    const ring = await ringAt(null, W, T0 + 5);

    expect(ring).toMatchObject({ window_ms: W, slice_ms: Q, base: Math.floor((T0 + 5 - W) / Q) });
    expect(ring.counts).toHaveLength(101);
    expect(await count(ring)).toBe(0);
  });

  it('counts a grant for the whole window and at most one slice longer, never shorter', async () => {
    // Arrange: a grant at T0 + 3 (slice T0/10); its exact window ends at T0 + 3 + 1000.
    const granted = await add(await ringAt(null, W, T0 + 3), T0 + 3, 1);

    // Act: counted at the last millisecond of its exact window and up to its slice's end.
    const lastExact = await count(await ringAt(granted, W, T0 + 3 + W - 1));
    const sliceEnd = await count(await ringAt(granted, W, T0 + Q + W - 1));
    const gone = await count(await ringAt(granted, W, T0 + Q + W));

    // Assert
    expect([lastExact, sliceEnd, gone]).toEqual([1, 1, 0]);
    expect(await freesIn(granted, 1, T0 + 3)).toBe(Q + W - 3);
  });

  it('says when the oldest grants needed have left the window', async () => {
    // Arrange: 3 grants at T0, 2 at T0 + 250, 1 at T0 + 600.
    let ring = await ringAt(null, W, T0 + 600);
    ring = await add(ring, T0, 3);
    ring = await add(ring, T0 + 250, 2);
    ring = await add(ring, T0 + 600, 1);

    // Act / Assert: 3 free with the first slice, 4 and 5 with the second, 6 with the third.
    expect(await freesIn(ring, 3, T0 + 600)).toBe(T0 + Q + W - (T0 + 600));
    expect(await freesIn(ring, 4, T0 + 600)).toBe(250 + Q + W - 600);
    expect(await freesIn(ring, 5, T0 + 600)).toBe(250 + Q + W - 600);
    expect(await freesIn(ring, 6, T0 + 600)).toBe(Q + W);
    expect(await count(ring)).toBe(6);
  });

  it('takes a grant away from its slice, never below none, and ignores a slice already gone', async () => {
    const ring = await add(await ringAt(null, W, T0), T0, 1);

    const once = await add(ring, T0 + 1, -1);
    const twice = await add(once, T0 + 1, -1);
    const gone = await add(ring, T0 - 5 * W, -1);

    expect([await count(once), await count(twice), await count(gone)]).toEqual([0, 0, 1]);
  });

  it('moves grants later, never earlier, when the window changes its slice width', async () => {
    // Arrange: grants at T0 + 5 and T0 + 15 in 10 ms slices.
    let ring = await ringAt(null, W, T0 + 20);
    ring = await add(ring, T0 + 5, 1);
    ring = await add(ring, T0 + 15, 1);

    // Act: the window becomes 2 s (20 ms slices), then 1.5 s (15 ms slices).
    const wider = await ringAt(ring, 2 * W, T0 + 20);
    const odd = await ringAt(ring, 1500, T0 + 20);

    // Assert: both still counted; each counted until no earlier than its old slice's end + window.
    expect([await count(wider), await count(odd)]).toEqual([2, 2]);
    expect(wider.slice_ms).toBe(20);
    expect(await freesIn(wider, 1, T0 + 20)).toBeGreaterThanOrEqual(T0 + Q + 2 * W - (T0 + 20));
    expect(await freesIn(odd, 2, T0 + 20)).toBeGreaterThanOrEqual(T0 + 2 * Q + 1500 - (T0 + 20));
  });

  it('counts grants stamped after now (the clock stepped back) in now’s slice', async () => {
    const ring = await add(await ringAt(null, W, T0), T0, 2);

    const stepped = await ringAt(ring, W, T0 - 300);
    const farBack = await ringAt(ring, W, T0 - 5 * W);

    expect([await count(stepped), await count(farBack)]).toEqual([2, 2]);
    expect(stepped.counts.at(-1)).toBe(2);
  });

  it('never counts fewer grants than the exact window, nor more than one a slice longer', async () => {
    // Arrange: 400 grants at pseudo-random times over 5 s, asked about in order.
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const stamps: number[] = [];
    let ring: Ring | null = null;
    let t = T0;
    const mismatches: string[] = [];
    for (let i = 0; i < 400; i += 1) {
      t += Math.floor(next() * 25);
      ring = await ringAt(ring, W, t);
      const ringCount = await count(ring);
      const exact = stamps.filter((s) => s > t - W).length;
      const longer = stamps.filter((s) => s > t - W - Q).length;
      if (ringCount < exact || ringCount > longer)
        mismatches.push(
          `at +${t - T0} ms: ring ${ringCount}, exact ${exact}, one slice longer ${longer}`,
        );
      ring = await add(ring, t, 1);
      stamps.push(t);
    }

    // Assert
    expect(mismatches).toEqual([]);
  });
});

describe('take_order_rate_slots over the rings (PostgreSQL)', () => {
  const db = databasePerFile(['order_rate_buckets']);

  it('counts the sends a task made on its local share during an outage into every window and the day', async () => {
    // Arrange: the database returns; the task sent 4 messages on its own share meanwhile, 0, 100
    // and 500 ms ago (inside the second) and 5 s ago (inside the minute and the hour only).
    const backfill = [0, 100, 500, 5000];

    // Act: its next slot request carries them.
    const { rows } = await db.pool.query(
      `SELECT granted, used FROM take_order_rate_slots(
         'test/backfill', 100, 1000, 'a', $1::int[], 1, 50, 60000, 1000, 100, 3600000)`,
      [backfill],
    );
    const counts = await db.pool.query(
      `SELECT order_rate_ring_count(second_window) AS second,
              order_rate_ring_count(minute_window) AS minute,
              order_rate_ring_count(hour_window) AS hour, day_count AS day
         FROM order_rate_buckets WHERE bucket = 'test/backfill'`,
    );

    // Assert: granted, and counted with its backfill: 3 + 1 in the second, 4 + 1 elsewhere.
    expect(rows).toEqual([{ granted: 1, used: 4 }]);
    expect(counts.rows).toEqual([{ second: 4, minute: 5, hour: 5, day: 5 }]);
  });
});

describe('migration 0017 (PostgreSQL)', () => {
  it('carries the stamps kept before it into the new rings', async () => {
    // Arrange: a database migrated up to 0016, with a bucket holding three recent stamps.
    const db = await createTestDatabase({ empty: true });
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    try {
      for (const file of await readdir(MIGRATIONS_DIR))
        if (file < '0017') await copyFile(path.join(MIGRATIONS_DIR, file), path.join(dir, file));
      await migrate(db.pool, dir);
      await db.pool.query(
        `INSERT INTO order_rate_buckets (bucket, stamps)
         VALUES ('old/client', ARRAY[now() - interval '100 ms', now() - interval '50 ms', now()])`,
      );

      // Act
      await migrate(db.pool);

      // Assert: three grants in the second's ring and in the minute's.
      const { rows } = await db.pool.query(
        `SELECT order_rate_ring_count(second_window) AS second, order_rate_ring_count(minute_window) AS minute
           FROM order_rate_buckets WHERE bucket = 'old/client'`,
      );
      expect(rows).toEqual([{ second: 3, minute: 3 }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await db.close();
    }
  });
});

/** A ring as PostgreSQL's text form of the composite. */
function toRow(ring: Ring): string {
  return `(${ring.window_ms},${ring.slice_ms},${ring.base},"{${ring.counts.join(',')}}")`;
}
