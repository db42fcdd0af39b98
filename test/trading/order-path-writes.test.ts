import type { Pool } from 'pg';
import { createPool } from '../../services/common/db/pool';
import { SharedOrderRateLimiter } from '../../services/trading/src/broker/order-rate-limiter';
import type { Order } from '../../services/trading/src/domain';
import { type FillRecord, OrderRepository } from '../../services/trading/src/oms/order-repository';
import { databasePerFile } from '../support/database';
import { doorExit } from './order-requests';

// What the order path writes after the broker answers (migration 0016, issue 15): events per
// statement, an acknowledgement folded into its fill's write, and fills found by key however
// the orders table has grown since the connection's first statement.
const DAY = '2026-11-23';

// Reduce-only, so written without an order-rate slot; unique ids and client ids by `i`.
const order = (i: number): Order => ({
  ...doorExit(i, `w-${i}`),
  side: 'BUY',
  quantity: 2,
  tradingDay: DAY,
});

const fillOf = (o: Order, n: number, quantity: number, filledSoFar: number): FillRecord => ({
  fill: {
    brokerFillId: `F-${o.clientOrderId}-${n}`,
    brokerOrderId: `B-${o.clientOrderId}`,
    clientOrderId: o.clientOrderId,
    quantity,
    price: 1500,
    filledAt: Date.now(),
  },
  order: {
    ...o,
    filledQuantity: filledSoFar,
    avgFillPrice: 1500,
    status: filledSoFar >= o.quantity ? 'FILLED' : 'PARTIAL',
  },
  realizedPnl: 0,
  closesPosition: false,
  position: {
    strategyId: o.strategyId,
    symbol: o.symbol,
    quantity: filledSoFar,
    avgPrice: 1500,
    realizedPnl: 0,
  },
});

describe('order path writes', () => {
  const db = databasePerFile(['order_events', 'fills', 'orders', 'positions']);
  let repo: OrderRepository;
  // The relaxed pool as the service makes it (compose.ts): one connection, its plans kept.
  let relaxed: Pool;

  beforeEach(async () => {
    const slots = new SharedOrderRateLimiter(db.pool, {
      bucket: 'test/client',
      taskId: 'task-a',
      limit: 100,
      marginMs: 200,
    });
    relaxed = await createPool(
      { url: db.url },
      { applicationName: 'test/relaxed', max: 1, relaxedCommit: true, keyedPlans: true },
    );
    repo = new OrderRepository({ durable: db.pool, relaxed }, slots);
  });

  afterEach(async () => {
    await relaxed.end();
  });

  const events = async (clientOrderId: string) =>
    (
      await db.pool.query(
        `SELECT e.previous_status, e.status, e.filled_quantity, e.broker_order_id
           FROM order_events e JOIN orders o ON o.id = e.order_id
          WHERE o.client_order_id = $1 ORDER BY e.id`,
        [clientOrderId],
      )
    ).rows;

  it('records an acknowledgement written with its fill as an event of its own, before the fill', async () => {
    const o = order(1);
    await repo.insertNew(o, { slot: false });

    await repo.recordFills([fillOf(o, 1, 2, 2)]);

    expect(await events('w-1')).toEqual([
      { previous_status: null, status: 'NEW', filled_quantity: 0, broker_order_id: null },
      { previous_status: 'NEW', status: 'ACK', filled_quantity: 0, broker_order_id: 'B-w-1' },
      { previous_status: 'ACK', status: 'FILLED', filled_quantity: 2, broker_order_id: 'B-w-1' },
    ]);
  });

  it('records an acknowledgement written on its own once, then each fill', async () => {
    const o = order(2);
    await repo.insertNew(o, { slot: false });

    await repo.ackOrders([{ orderId: o.id, brokerOrderId: 'B-w-2' }]);
    await repo.recordFills([fillOf(o, 1, 1, 1)]);
    await repo.recordFills([fillOf(o, 2, 1, 2)]);

    expect((await events('w-2')).map((e) => `${e.previous_status}->${e.status}`)).toEqual([
      'null->NEW',
      'NEW->ACK',
      'ACK->PARTIAL',
      'PARTIAL->FILLED',
    ]);
  });

  it('writes one event per order of a batch, in the batch order, and none for a write that changes nothing', async () => {
    const batch = [order(10), order(11), order(12)];
    await Promise.all(batch.map((o) => repo.insertNew(o, { slot: false })));
    await db.pool.query(`UPDATE orders SET updated_at = now()`);

    const { rows } = await db.pool.query(
      `SELECT o.client_order_id FROM order_events e JOIN orders o ON o.id = e.order_id ORDER BY e.id`,
    );
    expect(rows.map((r) => r.client_order_id)).toEqual(['w-10', 'w-11', 'w-12']);
  });

  it('finds the orders of a batch of fills by key after the table has grown, on a connection that planned them while small', async () => {
    // The first fills, while orders holds a handful of rows: the statement's plan is made now.
    const first = Array.from({ length: 6 }, (_, i) => order(100 + i));
    for (const o of first) await repo.insertNew(o, { slot: false });
    for (const o of first) await repo.recordFills([fillOf(o, 1, 2, 2)]);
    await repo.ackOrders([{ orderId: first[0]?.id ?? '', brokerOrderId: 'B-first' }]);
    // The day goes on: thousands of orders.
    await db.pool.query(
      `INSERT INTO orders (id, client_order_id, strategy_id, symbol, side, order_type, quantity, reduce_only,
                           status, trading_day)
       SELECT gen_random_uuid(), 'bulk-' || g, 'ma-cross', 'INFY', 'BUY', 'MARKET', 1, true, 'FILLED', $1
         FROM generate_series(1, 5000) g`,
      [DAY],
    );
    const later = Array.from({ length: 6 }, (_, i) => order(200 + i));
    for (const o of later) await repo.insertNew(o, { slot: false });
    const scans = async () => {
      // Statistics reach the shared counters when a backend reports them: the relaxed pool's
      // connection ran the writes, so it is made to report now.
      await relaxed.query('SELECT pg_stat_force_next_flush()');
      await db.pool.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await db.pool.query(
        `SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'orders'`,
      );
      return Number(rows[0]?.seq_scan);
    };
    const before = await scans();

    for (const o of later) await repo.recordFills([fillOf(o, 1, 2, 2)]);
    await repo.ackOrders(
      later.map((o) => ({ orderId: o.id, brokerOrderId: `B2-${o.clientOrderId}` })),
    );

    expect(await scans()).toBe(before);
  });
});
