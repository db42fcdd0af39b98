import { databasePerTest, type Harness, startHarness } from './harness';

describe('reconciliation on take-over', () => {
  let h: Harness;
  const db = databasePerTest(() => h);

  /** What a task that died mid-flight leaves: orders of ours, the broker's record of them. */
  async function seedCrashedTask() {
    await db.pool.query(
      `INSERT INTO strategy_leases (strategy_id, holder, fence_token, expires_at) VALUES ('manual', 'dead-task', 1, now() - interval '1 s')`,
    );
    // 1. sent and filled at the broker, but our side only got as far as ACK
    await db.pool.query(
      `INSERT INTO orders (id, client_order_id, strategy_id, symbol, side, order_type, quantity, stop_price, status, broker_order_id, fence_token, trading_day)
       VALUES (gen_random_uuid(), 'filled-while-down', 'manual', 'INFY', 'BUY', 'MARKET', 100, 1485, 'ACK', 'PB-1', 1, '2026-11-23'),
              (gen_random_uuid(), 'never-sent', 'manual', 'TCS', 'BUY', 'MARKET', 10, 3400, 'NEW', NULL, 1, '2026-11-23')`,
    );
    await db.pool.query(
      `INSERT INTO paper.orders (broker_order_id, client_order_id, strategy_id, symbol, side, order_type, quantity, filled_quantity, avg_fill_price, status)
       VALUES ('PB-1', 'filled-while-down', 'manual', 'INFY', 'BUY', 'MARKET', 100, 100, 1501, 'FILLED')`,
    );
    await db.pool.query(
      `INSERT INTO paper.fills (fill_id, broker_order_id, quantity, price) VALUES ('PF-1', 'PB-1', 60, 1500), ('PF-2', 'PB-1', 40, 1502.5)`,
    );
  }

  it('applies fills the broker made while nobody held the strategy, and closes orders that never arrived', async () => {
    await seedCrashedTask();

    h = await startHarness({ url: db.url, flag: 'false', taskId: 'task-new' });

    const { rows } = await db.pool.query(
      'SELECT client_order_id, status, filled_quantity, status_reason FROM orders ORDER BY client_order_id',
    );
    expect(rows).toEqual([
      {
        client_order_id: 'filled-while-down',
        status: 'FILLED',
        filled_quantity: 100,
        status_reason: null,
      },
      {
        client_order_id: 'never-sent',
        status: 'CANCELLED',
        filled_quantity: 0,
        status_reason: 'never reached the broker (reconciled on take-over)',
      },
    ]);
    expect(h.internals.portfolio.position('manual', 'INFY')).toMatchObject({
      quantity: 100,
      avgPrice: 1501,
      stopPrice: 1485,
    });
    const report = h.service.stateView().reconciliation.find((r) => r.strategyId === 'manual');
    expect(report).toMatchObject({
      fillsApplied: 2,
      neverReachedBroker: ['never-sent'],
      positionMismatches: [],
    });
    const { rows: leases } = await db.pool.query(
      "SELECT holder, fence_token FROM strategy_leases WHERE strategy_id = 'manual'",
    );
    expect(leases).toEqual([{ holder: 'task-new', fence_token: '2' }]);
  });

  it('applies a fill once, however often reconciliation sees it', async () => {
    await seedCrashedTask();
    h = await startHarness({ url: db.url, flag: 'false', taskId: 'task-new' });
    await h.stop();

    h = await startHarness({ url: db.url, flag: 'false', taskId: 'task-third' });

    expect((await db.pool.query('SELECT count(*)::int AS n FROM fills')).rows[0].n).toBe(2);
    expect(h.internals.portfolio.position('manual', 'INFY')?.quantity).toBe(100);
  });

  it('halts with a risk halt when positions still differ from the broker', async () => {
    await db.pool.query(
      "INSERT INTO positions (strategy_id, symbol, quantity, avg_price) VALUES ('manual', 'ITC', 500, 410)",
    );

    h = await startHarness({ url: db.url, flag: 'true' });

    expect(h.internals.states.state()).toBe('HARD_HALT');
    expect(h.service.stateView().riskHalt?.reason).toMatch(/^RECONCILIATION_MISMATCH/);
    expect(await h.service.reconciliationView()).toMatchObject({
      ok: false,
      mismatches: [{ position: 'manual/ITC', ours: 500, broker: 0 }],
    });
  });
});
