import { Pool } from 'pg';
import { SharedOrderRateLimiter } from '../../services/trading/src/broker/order-rate-limiter';
import { databasePerFile } from '../support/database';

const options = (taskId: string) => ({
  bucket: 'test/client',
  taskId,
  limit: 8,
  marginMs: 200,
});

describe('SharedOrderRateLimiter', () => {
  const db = databasePerFile(['order_rate_buckets']);

  it('grants no more than the limit in any window across three tasks on one database', async () => {
    // Arrange: three tasks asking as fast as they can for 2.5 s.
    const tasks = ['a', 'b', 'c'].map((t) => new SharedOrderRateLimiter(db.pool, options(t)));
    const grants: number[] = [];
    const deadline = Date.now() + 2500;

    // Act
    await Promise.all(
      tasks.map(async (limiter) => {
        while (Date.now() < deadline) {
          const answer = await limiter.tryTake();
          if (answer.granted) grants.push(Date.now());
          else await new Promise((r) => setTimeout(r, Math.min(answer.retryInMs, 50)));
        }
      }),
    );

    // Assert: with the 200 ms margin, no 1 s of answers holds more than the limit.
    grants.sort((x, y) => x - y);
    const peak = Math.max(
      ...grants.map((t) => grants.filter((u) => u >= t && u < t + 1000).length),
    );
    expect(grants.length).toBeGreaterThanOrEqual(16);
    expect(peak).toBeLessThanOrEqual(8);
  });

  it('answers refusals locally until the next slot frees', async () => {
    const limiter = new SharedOrderRateLimiter(db.pool, options('a'));
    for (let i = 0; i < 8; i += 1) expect(await limiter.tryTake()).toMatchObject({ granted: true });

    const refused = await limiter.tryTake();
    const before = (await db.pool.query('SELECT tasks FROM order_rate_buckets')).rows[0];
    const again = await limiter.tryTake();

    expect(refused).toMatchObject({ granted: false });
    expect(limiter.refusalWaitMs()).toBeGreaterThan(0);
    expect(again).toMatchObject({ granted: false, why: expect.stringContaining('are taken') });
    // The second refusal did not reach the database (the bucket row is unchanged).
    expect((await db.pool.query('SELECT tasks FROM order_rate_buckets')).rows[0]).toEqual(before);
    expect(limiter.view()).toMatchObject({ limit: 8, used: 8, usagePct: 100, mode: 'shared' });
  });

  it('refuses entries but lets exits out on its share while the database is unreachable', async () => {
    // Arrange: a pool that cannot connect (nothing listens on port 1).
    const dead = new Pool({ connectionString: 'postgres://x@127.0.0.1:1/x', max: 1 });
    const limiter = new SharedOrderRateLimiter(dead, { ...options('a'), timeoutMs: 500 });

    // Act
    const entry = await limiter.tryTake();
    const exits = await Promise.all(Array.from({ length: 3 }, () => limiter.take(() => true)));

    // Assert
    expect(entry).toMatchObject({ granted: false, why: expect.stringContaining('unreachable') });
    expect(exits).toEqual([
      expect.objectContaining({ granted: true }),
      expect.objectContaining({ granted: true }),
      expect.objectContaining({ granted: true }),
    ]);
    expect(limiter.view().mode).toBe('local-share');
    await dead.end();
  });

  it('drops a queued message that stopped being valid before its slot came', async () => {
    const limiter = new SharedOrderRateLimiter(db.pool, options('a'));
    for (let i = 0; i < 8; i += 1) await limiter.tryTake();
    let valid = true;

    const queued = limiter.take(() => valid);
    valid = false;

    expect(await queued).toBeUndefined();
  });
});

describe('SharedOrderRateLimiter.sendDecision and restamp', () => {
  const db = databasePerFile();

  /** The per-second window's grants, per slice, oldest first. */
  const window = async (): Promise<Array<{ at: number; n: number }>> =>
    (
      await db.pool.query<{ at: Date; n: number }>(
        "SELECT slice_start AS at, granted AS n FROM order_rate_window('test/client')",
      )
    ).rows.map((r) => ({ at: r.at.getTime(), n: r.n }));
  /** Waits until the database clock is past the slice holding `stamp` (slices are ~10 ms). */
  const pastSliceOf = async (stamp: string): Promise<void> => {
    for (;;) {
      const { rows } = await db.pool.query<{ past: boolean }>(
        `SELECT order_rate_ms(clock_timestamp()) / (second_window).slice_ms
                > order_rate_ms($1::timestamptz) / (second_window).slice_ms AS past
           FROM order_rate_buckets WHERE bucket = 'test/client'`,
        [stamp],
      );
      if (rows[0]?.past) return;
    }
  };

  it('lets an entry out within the send budget and has it restamped first past the budget', async () => {
    // Arrange: a clock this test moves (the limiter reads it for askedAt and the decision).
    let now = 1_000_000;
    const limiter = new SharedOrderRateLimiter(db.pool, { ...options('a'), now: () => now });
    const slot = await limiter.tryTake();
    if (!slot.granted) throw new Error('expected a slot');

    // Act
    const onTime = limiter.sendDecision(slot, 'entry');
    now += limiter.sendBudgetMs + 1;
    const late = limiter.sendDecision(slot, 'entry');

    // Assert
    expect(limiter.sendBudgetMs).toBe(100);
    expect([onTime, late]).toEqual(['send', 'restamp-first']);
    expect(limiter.view().counts).toMatchObject({ lateEntries: 0, databaseRoundTrips: 1 });
  });

  it('moves a late entry to now only while the window ending now has room for it', async () => {
    // Arrange: limit 2, one entry slot, then a second slot (the window is full)
    await db.pool.query('DELETE FROM order_rate_buckets');
    const limiter = new SharedOrderRateLimiter(db.pool, { ...options('d'), limit: 2 });
    const first = await limiter.tryTake();
    if (!first.granted || !first.stamp) throw new Error('expected a stamped slot');

    // Act: restamped with room (only its own stamp in the window), then again once it is full
    const moved = await limiter.restampEntry(first);
    const second = await limiter.tryTake();
    await db.pool.query(
      `UPDATE order_rate_buckets
          SET second_window = order_rate_ring_add(second_window, order_rate_ms(clock_timestamp()), 1)
        WHERE bucket = 'test/client'`,
    );
    const before = await window();
    const refused = moved.granted ? await limiter.restampEntry(moved) : undefined;

    // Assert
    expect(moved).toMatchObject({ granted: true, stamp: expect.any(String) });
    expect(moved.granted && moved.stamp).not.toBe(first.stamp);
    expect(second).toMatchObject({ granted: true });
    expect(refused).toMatchObject({ granted: false, why: expect.stringContaining('taken now') });
    expect(await window()).toEqual(before);
    expect(limiter.view().counts).toMatchObject({ restampedEntries: 1, lateEntries: 1 });
  });

  it('restamps a late exit within half the window and retakes one later than that', async () => {
    let now = 2_000_000;
    const limiter = new SharedOrderRateLimiter(db.pool, { ...options('b'), now: () => now });
    const slot = await limiter.take(() => true);
    if (!slot) throw new Error('expected a slot');

    now += 300;
    const late = limiter.sendDecision(slot, 'exit');
    now += 400;
    const tooLate = limiter.sendDecision(slot, 'exit');

    expect([late, tooLate]).toEqual(['send-restamp', 'retake']);
    expect(limiter.view().counts).toMatchObject({ restamped: 1, lateRetries: 1 });
  });

  it('moves the stamp of a restamped slot to the time of the restamp', async () => {
    // Arrange
    await db.pool.query('DELETE FROM order_rate_buckets');
    const limiter = new SharedOrderRateLimiter(db.pool, options('c'));
    const first = await limiter.take(() => true);
    const second = await limiter.take(() => true);
    if (!first?.stamp || !second?.stamp) throw new Error('expected two stamped slots');
    await pastSliceOf(second.stamp);
    const before = await window();

    // Act
    await limiter.restamp(first);

    // Assert: two grants still; one left the slices of the first two stamps for a later one.
    const after = await window();
    const total = (w: typeof after) => w.reduce((sum, s) => sum + s.n, 0);
    expect(total(before)).toBe(2);
    expect(total(after)).toBe(2);
    const older = (w: typeof after) =>
      total(w.filter((s) => s.at <= Date.parse(second.stamp as string)));
    expect(older(after)).toBe(older(before) - 1);
    expect(after.at(-1)?.at).toBeGreaterThan(Date.parse(second.stamp));
  });
});
