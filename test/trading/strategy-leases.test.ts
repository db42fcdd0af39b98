import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, type Harness, startHarness } from './harness';
import { infyEntry } from './order-requests';

describe('strategy leases', () => {
  let db: TestDatabase;
  const harnesses: Harness[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((x) => x.stop().catch(() => undefined)));
    await db.close();
  });

  it('gives each strategy to exactly one of two instances on one database', async () => {
    const a = await startHarness({ url: db.url, taskId: 'task-a', flag: 'true' });
    harnesses.push(a);
    const b = await startHarness({ url: db.url, taskId: 'task-b', parameterFile: a.parameterFile });
    harnesses.push(b);
    await Promise.all([a.internals.leases.tick(), b.internals.leases.tick()]);

    const heldByA = a.internals.leases.heldStrategies();
    const heldByB = b.internals.leases.heldStrategies();

    expect([...heldByA, ...heldByB].sort()).toEqual(['ma-cross', 'manual', 'orb-15']);
    expect(heldByA.filter((s) => heldByB.includes(s))).toEqual([]);
    b.quoteAll();
    const fromB = await b.service.submitOrder(infyEntry());
    expect(fromB).toMatchObject({ outcome: 'REJECTED', reason: 'NOT_LEASE_HOLDER' });
  });

  it('refuses an order whose fence token is no longer current, even if the task still believes it holds the lease', async () => {
    const a = await startHarness({
      url: db.url,
      taskId: 'task-a',
      flag: 'true',
      leaseTtlMs: 60_000,
    });
    harnesses.push(a);
    a.quoteAll();
    // Another task takes the lease over behind a's back (a's lease "expired" during a pause).
    await db.pool.query(
      "UPDATE strategy_leases SET holder = 'task-b', fence_token = fence_token + 1 WHERE strategy_id = 'manual'",
    );

    const result = await a.service.submitOrder(infyEntry());

    expect(result).toMatchObject({ outcome: 'REJECTED', reason: 'LEASE_LOST' });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(0);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM paper.orders')).rows[0].n).toBe(0);
  });

  it('moves the strategies to the survivor when a holder stops', async () => {
    const a = await startHarness({ url: db.url, taskId: 'task-a', flag: 'true', leaseTtlMs: 1000 });
    harnesses.push(a);
    const b = await startHarness({
      url: db.url,
      taskId: 'task-b',
      parameterFile: a.parameterFile,
      leaseTtlMs: 1000,
    });
    harnesses.push(b);
    expect(a.internals.leases.heldStrategies()).toHaveLength(3);

    await a.stop();

    await eventually(
      () => b.internals.leases.heldStrategies().length === 3,
      5000,
      'take-over by task-b',
    );
  });
});
