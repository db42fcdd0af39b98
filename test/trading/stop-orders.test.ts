import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, type Harness, startHarness } from './harness';
import { infyEntry as order } from './order-requests';

// A protective stop of the long entry above: sell everything once INFY trades at 1495 or lower
// (above the position's own stop at 1485, which the engine watches on every tick).
const sellStop = () =>
  order({ side: 'SELL', type: 'SL-M', triggerPrice: 1495, stopPrice: undefined, reduceOnly: true });

describe('stop-loss orders through the trading service (paper venue)', () => {
  let db: TestDatabase;
  let h: Harness;

  beforeEach(async () => {
    db = await createTestDatabase();
    h = await startHarness({ url: db.url, flag: 'true' });
    h.quoteAll();
    await h.service.submitOrder(order());
    await eventually(() => h.internals.portfolio.position('manual', 'INFY')?.quantity === 100);
  });
  afterEach(async () => {
    await h.stop();
    await db.close();
  });

  it('records an SL-M exit with its trigger, rests it, and closes the position once triggered', async () => {
    const stop = sellStop();

    const result = await h.service.submitOrder(stop);
    h.quoteAll({ INFY: 1497 });
    const waiting = await h.broker.getOrder(stop.clientOrderId);
    h.quoteAll({ INFY: 1492 });

    expect(result.outcome).toBe('ACCEPTED');
    await eventually(() => h.internals.portfolio.position('manual', 'INFY')?.quantity === 0);
    expect(waiting).toMatchObject({ status: 'OPEN', filledQuantity: 0 });
    const { rows } = await db.pool.query(
      `SELECT o.order_type, o.trigger_price::float8 AS ours, p.trigger_price::float8 AS venue,
              p.triggered_at IS NOT NULL AS triggered
         FROM orders o JOIN paper.orders p USING (client_order_id) WHERE client_order_id = $1`,
      [stop.clientOrderId],
    );
    expect(rows).toEqual([{ order_type: 'SL-M', ours: 1495, venue: 1495, triggered: true }]);
    await eventually(
      async () =>
        (
          await db.pool.query(
            "SELECT 1 FROM orders WHERE client_order_id = $1 AND status = 'FILLED'",
            [stop.clientOrderId],
          )
        ).rowCount === 1,
    );
  });

  it('cancels a resting stop before a flatten and exits the whole position at market', async () => {
    const stop = sellStop();
    await h.service.submitOrder(stop);

    const dry = await h.service.flatten({ requestedBy: 'bob', reason: 'check' }, true);
    const real = await h.service.flatten({ requestedBy: 'bob', reason: 'end of day' }, false);

    // Counted as an exit, the stop would have left the whole position open behind it.
    expect(dry.legs).toEqual([expect.objectContaining({ symbol: 'INFY', quantity: 100 })]);
    expect(dry.cancelledEntries).toEqual([stop.clientOrderId]);
    expect(real.cancelledEntries).toEqual([stop.clientOrderId]);
    expect(real.submitted).toEqual([expect.objectContaining({ side: 'SELL', quantity: 100 })]);
    await eventually(() => h.internals.portfolio.position('manual', 'INFY')?.quantity === 0);
    const { rows } = await db.pool.query(
      'SELECT status FROM paper.orders WHERE client_order_id = $1',
      [stop.clientOrderId],
    );
    expect(rows).toEqual([{ status: 'CANCELLED' }]);
  });

  it('refuses a stop the price has already passed, before it is recorded', async () => {
    const late = order({
      side: 'SELL',
      type: 'SL-M',
      triggerPrice: 1505,
      stopPrice: undefined,
      reduceOnly: true,
    });

    const result = await h.service.submitOrder(late);

    expect(result).toMatchObject({ outcome: 'REJECTED', reason: 'INVALID_TRIGGER' });
    const { rowCount } = await db.pool.query('SELECT 1 FROM orders WHERE client_order_id = $1', [
      late.clientOrderId,
    ]);
    expect(rowCount).toBe(0);
  });
});
