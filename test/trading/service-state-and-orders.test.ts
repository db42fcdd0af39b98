import { GENERIC_ALGO_ID } from '../../contract/algo-id';
import { auditActions, databasePerTest, eventually, type Harness, startHarness } from './harness';
import { infyEntry } from './order-requests';

// The service's state from the flag, its orders (recorded before the broker sees them, refused
// ones as risk events), a service-wide pause, and working entries cancelled on a halt.
describe('TradingService against PostgreSQL', () => {
  let h: Harness;
  const db = databasePerTest(() => h);

  it('starts HALTED and goes ACTIVE when the flag says "true", auditing each transition with its cause', async () => {
    h = await startHarness({ url: db.url, flag: 'false' });
    expect(h.internals.states.state()).toBe('HALTED');

    await h.setFlag('true');

    expect(h.internals.states.state()).toBe('ACTIVE');
    // The transition's audit row is written in the background.
    const audit = await eventually(async () => {
      const rows = await auditActions(db);
      return rows.some((r) => r.action === 'state-transition') ? rows : undefined;
    });
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'state-transition',
        reason: 'flag is "true", not paused, no risk halt',
        before_state: { state: 'HALTED' },
        after_state: { state: 'ACTIVE' },
      }),
    );
    expect(h.service.metrics.get('algo_state_transitions_total', { to: 'ACTIVE' })).toBe(1);
  });

  it('shows garbage in the flag in /state and stays HALTED', async () => {
    h = await startHarness({ url: db.url, flag: 'yes please' });

    const state = h.service.stateView();

    expect(state.state).toBe('HALTED');
    expect(state.flag).toMatchObject({
      value: 'yes please',
      enabled: false,
      reason: 'flag is "yes please"',
      status: 'OK',
    });
  });

  it('records an order before the broker sees it, then fills it and books the position', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    // A price with paise: SQL parameters must not assume whole rupees.
    h.quoteAll({ INFY: 1500.35 });

    const result = await h.service.submitOrder(infyEntry());

    expect(result.outcome).toBe('ACCEPTED');
    const order = await eventually(async () => {
      const { rows } = await db.pool.query("SELECT * FROM orders WHERE status = 'FILLED'");
      return rows[0];
    });
    expect(order).toMatchObject({
      symbol: 'INFY',
      quantity: 100,
      filled_quantity: 100,
      fence_token: expect.any(String),
    });
    const { rows: positions } = await db.pool.query(
      'SELECT strategy_id, symbol, quantity, stop_price FROM positions',
    );
    expect(positions).toEqual([
      { strategy_id: 'manual', symbol: 'INFY', quantity: 100, stop_price: '1485.0000' },
    ]);
    expect(h.service.stateView().heat.pct).toBeCloseTo(0.15, 2);
  });

  it('writes a refused order as a risk event, not as an order', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    h.quoteAll();

    const result = await h.service.submitOrder(infyEntry({ stopPrice: 1400 }));
    await eventually(async () => (await db.pool.query('SELECT 1 FROM risk_events')).rowCount);

    expect(result).toMatchObject({ outcome: 'REJECTED', reason: 'PER_TRADE_RISK' });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(0);
    const { rows } = await db.pool.query('SELECT kind, rule, symbol FROM risk_events');
    expect(rows).toEqual([{ kind: 'REJECT', rule: 'PER_TRADE_RISK', symbol: 'INFY' }]);
    expect(
      h.service.metrics.get('algo_orders_rejected_total', {
        reason: 'PER_TRADE_RISK',
        algo: GENERIC_ALGO_ID,
      }),
    ).toBe(1);
  });

  it('pauses new entries service-wide, keeps exits, and audits who paused', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    h.quoteAll();
    await h.service.submitOrder(infyEntry());
    await eventually(() => h.internals.portfolio.position('manual', 'INFY')?.quantity === 100);

    await h.service.pause({ requestedBy: 'alice', reason: 'news at 11' });
    const entry = await h.service.submitOrder(
      infyEntry({ symbol: 'TCS', quantity: 10, stopPrice: 3400 }),
    );
    const exit = await h.service.submitOrder(
      infyEntry({ side: 'SELL', reduceOnly: true, stopPrice: undefined }),
    );

    expect(h.internals.states.state()).toBe('PAUSED');
    expect(entry).toMatchObject({ outcome: 'REJECTED', reason: 'TRADING_PAUSED' });
    expect(exit.outcome).toBe('ACCEPTED');
    const { rows } = await db.pool.query(
      "SELECT active, updated_by FROM service_controls WHERE name = 'pause'",
    );
    expect(rows).toEqual([{ active: true, updated_by: 'alice' }]);
    expect(await auditActions(db)).toContainEqual(
      expect.objectContaining({ action: 'pause', actor: 'alice', reason: 'news at 11' }),
    );
  });

  it('cancels working entry orders when halted', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    h.quoteAll();
    // A limit buy 1% under the market rests at the broker.
    const resting = await h.service.submitOrder(
      infyEntry({ type: 'LIMIT', limitPrice: 1485, stopPrice: 1470 }),
    );
    expect(resting.outcome).toBe('ACCEPTED');

    await h.setFlag('false');

    await eventually(
      async () => (await db.pool.query("SELECT 1 FROM orders WHERE status = 'CANCELLED'")).rowCount,
    );
    const { rows } = await db.pool.query('SELECT status, status_reason FROM orders');
    expect(rows[0]).toEqual({
      status: 'CANCELLED',
      status_reason: 'state HALTED: flag is "false"',
    });
    const { rows: venue } = await db.pool.query('SELECT status FROM paper.orders');
    expect(venue[0].status).toBe('CANCELLED');
  });
});
