import type { TradingServer } from '../../services/trading/src/http/server';
import type { TestDatabase } from '../support/database';
import { auth, startApi, stopApi } from './api-fixture';
import { eventually, type Harness } from './harness';

describe('HTTP API', () => {
  let db: TestDatabase;
  let h: Harness;
  let app: TradingServer;

  beforeAll(async () => {
    ({ db, h, app } = await startApi({ flag: 'true' }));
  });
  // Fresh quotes for every test: readiness, feed status and the price collar need them < 5 s old.
  beforeEach(() => h.quoteAll());
  afterAll(() => stopApi({ db, h, app }));

  describe('orders and controls', () => {
    it('returns a filled order for its client id too (a client retrying after a timeout)', async () => {
      const body = {
        clientOrderId: 'http-filled',
        symbol: 'TCS',
        side: 'BUY',
        type: 'MARKET',
        quantity: 1,
        stopPrice: 3400,
      };
      const first = await app.inject({
        method: 'POST',
        url: '/orders',
        headers: auth,
        payload: body,
      });
      expect(first.statusCode).toBe(201);
      await eventually(
        async () =>
          (
            await db.pool.query(
              "SELECT 1 FROM orders WHERE client_order_id = 'http-filled' AND status = 'FILLED'",
            )
          ).rowCount === 1,
        5000,
        'the order to fill',
      );

      const again = await app.inject({
        method: 'POST',
        url: '/orders',
        headers: auth,
        payload: body,
      });

      expect(again.statusCode).toBe(200);
      expect(again.json().order).toMatchObject({ id: first.json().order.id, status: 'FILLED' });
    });

    it('accepts an order (201), returns the same order for its client id (200), and names a risk refusal (422)', async () => {
      // A limit buy 1% under the market rests, so the repeat finds it working.
      const body = {
        clientOrderId: 'http-1',
        symbol: 'INFY',
        side: 'BUY',
        type: 'LIMIT',
        limitPrice: 1485,
        quantity: 10,
        stopPrice: 1475,
      };

      const first = await app.inject({
        method: 'POST',
        url: '/orders',
        headers: auth,
        payload: body,
      });
      const again = await app.inject({
        method: 'POST',
        url: '/orders',
        headers: auth,
        payload: body,
      });
      const refused = await app.inject({
        method: 'POST',
        url: '/orders',
        headers: auth,
        payload: { ...body, clientOrderId: 'http-2', quantity: 100, stopPrice: 1400 },
      });

      expect(first.statusCode).toBe(201);
      expect(again.statusCode).toBe(200);
      expect(again.json().order.id).toBe(first.json().order.id);
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({ error: 'REJECTED', reason: 'PER_TRADE_RISK' });
    });

    it('pushes a halt through POST /control/halt and reports it in /state', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/control/halt',
        headers: auth,
        payload: { requestedBy: 'emergency-stop', reason: 'drill' },
      });
      const state = (await app.inject({ method: 'GET', url: '/state' })).json();

      expect(res.statusCode).toBe(200);
      expect(res.json().state).toBe('HALTED');
      expect(state.flag.pushedHalt).toMatchObject({
        requestedBy: 'emergency-stop',
        reason: 'drill',
      });
      await h.setFlag('true');
      expect(h.internals.states.state()).toBe('ACTIVE');
    });

    it('resets a circuit breaker by name and names the known ones otherwise', async () => {
      const ok = await app.inject({
        method: 'POST',
        url: '/api/health/circuit-breakers/broker/reset',
        headers: auth,
        payload: { requestedBy: 'oncall', reason: 'broker back' },
      });
      const unknown = await app.inject({
        method: 'POST',
        url: '/api/health/circuit-breakers/kite/reset',
        headers: auth,
        payload: { requestedBy: 'oncall', reason: 'x' },
      });

      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ name: 'broker', state: 'CLOSED', lastResetBy: 'oncall' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().message).toBe(
        'no circuit breaker "kite"; known: broker, parameter-store',
      );
    });
  });
});
