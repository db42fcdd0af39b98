import { app, db, h, post, useApi } from './api-fixture';
import { eventually } from './harness';

describe('HTTP API', () => {
  useApi({ flag: 'true' });

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
      const first = await post('/orders', body);
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

      const again = await post('/orders', body);

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

      const first = await post('/orders', body);
      const again = await post('/orders', body);
      const refused = await post('/orders', {
        ...body,
        clientOrderId: 'http-2',
        quantity: 100,
        stopPrice: 1400,
      });

      expect(first.statusCode).toBe(201);
      expect(again.statusCode).toBe(200);
      expect(again.json().order.id).toBe(first.json().order.id);
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({ error: 'REJECTED', reason: 'PER_TRADE_RISK' });
    });

    it('pushes a halt through POST /control/halt and reports it in /state', async () => {
      const res = await post('/control/halt', { requestedBy: 'emergency-stop', reason: 'drill' });
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
      const ok = await post('/api/health/circuit-breakers/broker/reset', {
        requestedBy: 'oncall',
        reason: 'broker back',
      });
      const unknown = await post('/api/health/circuit-breakers/kite/reset', {
        requestedBy: 'oncall',
        reason: 'x',
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
