import { Pool } from 'pg';
import pino from 'pino';
import { buildServer } from '../../services/trading/src/http/server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, type Harness, startHarness } from '../trading/harness';
import { type StoppablePostgres, startStoppablePostgres } from './support';

const TOKEN = 'fault-test-control-token';

describe('trading service with PostgreSQL down', () => {
  let pg: StoppablePostgres;
  let venue: TestDatabase;
  let h: Harness;
  let service: Pool;

  beforeEach(async () => {
    pg = await startStoppablePostgres();
    // The paper venue keeps its own books: a broker does not go down with our database.
    venue = await createTestDatabase();
    h = await startHarness({ url: pg.url, venueUrl: venue.url, flag: 'true' });
    service = new Pool({ connectionString: pg.url, max: 2 }).on('error', () => undefined);
    h.quoteAll();
  }, 60_000);

  afterEach(async () => {
    await pg.start();
    await h.stop();
    await service.end();
    await venue.close();
    await pg.destroy();
  }, 60_000);

  const buyInfy = (clientOrderId: string) =>
    h.service.submitOrder({
      clientOrderId,
      strategyId: 'manual',
      symbol: 'INFY',
      side: 'BUY',
      type: 'MARKET',
      quantity: 10,
      stopPrice: 1470,
      reduceOnly: false,
    });

  const venuePosition = async () => {
    const { rows } = await venue.pool.query<{ q: string | null }>(
      `SELECT sum(CASE WHEN o.side = 'BUY' THEN f.quantity ELSE -f.quantity END) AS q
         FROM paper.fills f JOIN paper.orders o USING (broker_order_id) WHERE o.symbol = 'INFY'`,
    );
    return Number(rows[0]?.q ?? 0);
  };

  it('halts with the database as the cause, answers 503 DATABASE_UNAVAILABLE, and recovers by itself', async () => {
    // Arrange
    const app = buildServer(h.service, { controlToken: TOKEN, log: pino({ level: 'silent' }) });
    expect(h.service.stateView().state).toBe('ACTIVE');

    // Act: the database goes away
    await pg.stop();
    const halted = await eventually(
      () => {
        const view = h.service.stateView();
        return view.state === 'HALTED' ? view : undefined;
      },
      5000,
      'HALTED with the database down',
    );
    const res = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { symbol: 'INFY', side: 'BUY', type: 'MARKET', quantity: 1, requestedBy: 'test' },
    });

    // Assert
    expect(halted.cause).toMatch(/^database unreachable/);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'DATABASE_UNAVAILABLE' });
    expect(await venue.pool.query('SELECT 1 FROM paper.orders')).toMatchObject({ rowCount: 0 });

    // Act: it comes back; nobody touches the service
    await pg.start();
    await eventually(() => h.service.stateView().state === 'ACTIVE', 10_000, 'ACTIVE again');
    const after = await buyInfy('after-outage');
    expect(after.outcome).toBe('ACCEPTED');
    await app.close();
  }, 60_000);

  it('flattens on a kill with the database down, and the tables match the venue once it returns', async () => {
    // Arrange: a 10-share position
    expect((await buyInfy('entry-1')).outcome).toBe('ACCEPTED');
    await eventually(async () => (await venuePosition()) === 10, 5000, 'entry filled');
    await eventually(() => h.internals.portfolio.position('manual', 'INFY')?.quantity === 10);

    // Act: database down, then the kill as the CLI's SSM fallback writes it
    await pg.stop();
    await h.store.putParameter(h.names.flagParameter, 'false', 'oncall');
    await h.store.putParameter(
      h.names.flattenRequestParameter,
      JSON.stringify({ id: 'kill-db-down', reason: 'fault test', requester: 'oncall' }),
      'oncall',
    );

    // Assert: flat at the venue while PostgreSQL is still down
    await eventually(async () => (await venuePosition()) === 0, 10_000, 'flat at the venue');

    // Act: the database returns
    await pg.start();
    await eventually(
      () => h.service.stateView().database.reachable && h.internals.repo.pending() === 0,
      15_000,
      'journal copied',
    );
    await h.internals.oms.drain();

    // Assert: every venue order is in our table once, with the same side and quantity
    const venueOrders = await venue.pool.query(
      'SELECT client_order_id, side, quantity FROM paper.orders ORDER BY client_order_id',
    );
    const ours = await service.query(
      'SELECT client_order_id, side, quantity FROM orders ORDER BY client_order_id',
    );
    expect(ours.rows).toEqual(venueOrders.rows);
    await eventually(
      async () => {
        const { rows } = await service.query(
          "SELECT quantity FROM positions WHERE strategy_id = 'manual' AND symbol = 'INFY'",
        );
        return rows[0]?.quantity === 0;
      },
      10_000,
      'position 0 in the table',
    );
    const claim = await service.query(
      "SELECT strategy_id FROM flatten_requests WHERE request_id = 'kill-db-down' ORDER BY 1",
    );
    expect(claim.rows.map((r) => r.strategy_id)).toEqual(['ma-cross', 'manual', 'orb-15']);
    const audit = await eventually(
      async () => {
        const { rows } = await service.query<{ action: string; result: { deferred?: unknown } }>(
          "SELECT action, result FROM control_audit WHERE action = 'flatten-request' ORDER BY id",
        );
        return rows.length > 0 ? rows : undefined;
      },
      10_000,
      'the deferred audit row',
    );
    expect(audit[0]?.result.deferred).toBeDefined();
  }, 90_000);
});
