import pino from 'pino';
import { buildServer, type TradingServer } from '../../services/trading/src/http/server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, type Harness, startHarness } from './harness';

const TOKEN = 'test-control-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('HTTP API', () => {
  let db: TestDatabase;
  let h: Harness;
  let app: TradingServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    h = await startHarness({ url: db.url, flag: 'true' });
    app = buildServer(h.service, { controlToken: TOKEN, log: pino({ level: 'silent' }) });
    await app.ready();
  });
  // Fresh quotes for every test: readiness, feed status and the price collar need them < 5 s old.
  beforeEach(() => h.quoteAll());
  afterAll(async () => {
    await app.close();
    await h.stop();
    await db.close();
  });

  // The service audits its own state transitions in the background (HALTED -> ACTIVE as it
  // starts): those rows are not the request's doing, and may land at any moment.
  const counts = async () =>
    (
      await db.pool.query(
        `SELECT (SELECT count(*) FROM orders)::int AS orders,
                (SELECT count(*) FROM control_audit WHERE action <> 'state-transition')::int AS audit`,
      )
    ).rows[0];

  describe('reads', () => {
    it('answers /health without touching anything', async () => {
      const res = await app.inject({ method: 'GET', url: '/health' });

      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'ok' });
    });

    it('answers /state with mode, flag, state, market, P&L and heat', async () => {
      const res = await app.inject({ method: 'GET', url: '/state' });

      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        mode: 'PAPER',
        state: 'ACTIVE',
        flag: { value: 'true', version: 1, enabled: true, source: 'local' },
        market: { open: true, date: '2026-11-23', sessionClock: 'nse' },
        pnl: { dailyInr: 0, dailyLossStopPct: 2.5 },
        heat: { pct: 0, capPct: 2 },
      });
    });

    it('answers /ready with every check', async () => {
      const res = await app.inject({ method: 'GET', url: '/ready' });

      expect(res.statusCode).toBe(200);
      expect(res.json().checks.map((c: { name: string }) => c.name)).toEqual([
        'database',
        'broker',
        'feed',
        'flag',
        'started',
      ]);
    });

    it('serves Prometheus text at /metrics', async () => {
      const res = await app.inject({ method: 'GET', url: '/metrics' });

      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toMatch(/^# TYPE algo_orders_submitted_total counter$/m);
      expect(res.body).toMatch(/^algo_trading_state \d$/m);
    });

    it('serves feed freshness, circuit breakers and rate limits', async () => {
      const feeds = (await app.inject({ method: 'GET', url: '/api/health/feeds' })).json();
      const breakers = (
        await app.inject({ method: 'GET', url: '/api/health/circuit-breakers' })
      ).json();
      const limits = (await app.inject({ method: 'GET', url: '/api/health/rate-limits' })).json();

      expect(feeds.feeds[0]).toMatchObject({
        source: 'manual',
        status: 'FRESH',
        tick_lag_sec: expect.any(Number),
        depth_lag_sec: expect.any(Number),
      });
      expect(
        breakers.circuitBreakers.map((b: { name: string; state: string }) => [b.name, b.state]),
      ).toEqual([
        ['broker', 'CLOSED'],
        ['parameter-store', 'CLOSED'],
      ]);
      expect(limits.rateLimits[0]).toMatchObject({
        upstream: 'broker-orders',
        limit: 8,
        windowSeconds: 1.2,
        mode: 'shared',
      });
    });

    it('reports the broker and its named tokens', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/health/broker' });

      expect(res.json()).toMatchObject({
        name: 'paper',
        connected: true,
        circuitBreaker: 'CLOSED',
        tokens: [{ name: 'PRIMARY', expiresAt: expect.any(String) }],
      });
    });

    it('reports reconciliation with the broker', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/reconciliation' });

      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        ok: true,
        broker: 'paper',
        mismatches: [],
        uncertainOrders: [],
      });
    });

    it('refuses a date that is not a calendar date', async () => {
      const res = await app.inject({ method: 'GET', url: '/trades?date=2026-02-30' });

      expect(res.statusCode).toBe(400);
      expect(res.json().message).toBe('querystring.date: not a calendar date (got "2026-02-30")');
    });
  });

  describe('control routes need the token', () => {
    it.each([
      ['no header', {}],
      ['a wrong token', { authorization: 'Bearer not-the-token-at-all-xx' }],
      ['another scheme', { authorization: `Basic ${TOKEN}` }],
    ])('refuses %s with 401 and changes nothing', async (_name, headers) => {
      const before = await counts();

      const res = await app.inject({
        method: 'POST',
        url: '/pause',
        headers,
        payload: { requestedBy: 'x', reason: 'y' },
      });

      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(h.internals.states.state()).toBe('ACTIVE');
      expect(await counts()).toEqual(before);
    });

    it.each([
      '/orders',
      '/flatten',
      '/control/halt',
      '/risk/reset',
      '/resume',
      '/universe/reload',
      '/strategies/reload',
    ])('guards POST %s', async (url) => {
      const res = await app.inject({ method: 'POST', url, payload: {} });

      expect(res.statusCode).toBe(401);
    });
  });

  describe('bad input names the field and writes nothing', () => {
    const post = (payload: unknown, url = '/orders') =>
      app.inject({
        method: 'POST',
        url,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: payload as string,
      });

    it.each([
      ['malformed JSON', '{"symbol": "INFY",', /JSON/],
      [
        'an unknown field',
        {
          symbol: 'INFY',
          side: 'BUY',
          type: 'MARKET',
          quantity: 1,
          stopPrice: 1490,
          colour: 'red',
        },
        /body: unknown field "colour"/,
      ],
      [
        'a negative quantity',
        { symbol: 'INFY', side: 'BUY', type: 'MARKET', quantity: -5 },
        /body\.quantity: must be >= 1 \(got -5\)/,
      ],
      [
        'an absurd quantity',
        { symbol: 'INFY', side: 'BUY', type: 'MARKET', quantity: 10_000_000 },
        /body\.quantity: must be <= 1000000 \(got 10000000\)/,
      ],
      [
        'a fractional quantity',
        { symbol: 'INFY', side: 'BUY', type: 'MARKET', quantity: 1.5 },
        /body\.quantity: must be integer \(got 1\.5\)/,
      ],
      [
        'a quantity as text',
        { symbol: 'INFY', side: 'BUY', type: 'MARKET', quantity: '10' },
        /body\.quantity: must be integer \(got "10"\)/,
      ],
      [
        'a missing side',
        { symbol: 'INFY', type: 'MARKET', quantity: 1 },
        /body: missing required field "side"/,
      ],
      [
        'a bad side',
        { symbol: 'INFY', side: 'HOLD', type: 'MARKET', quantity: 1 },
        /body\.side: must be equal to one of the allowed values \(got "HOLD"\)/,
      ],
      [
        'an unknown symbol',
        { symbol: 'NOTASTOCK', side: 'BUY', type: 'MARKET', quantity: 1 },
        /body\.symbol: "NOTASTOCK" is not in the universe/,
      ],
      [
        'an unknown strategy',
        { strategyId: 'ghost', symbol: 'INFY', side: 'BUY', type: 'MARKET', quantity: 1 },
        /body\.strategyId: unknown strategy "ghost"/,
      ],
      [
        'a limit order without a price',
        { symbol: 'INFY', side: 'BUY', type: 'LIMIT', quantity: 1 },
        /body\.limitPrice: required for a LIMIT order/,
      ],
      [
        'a market order with a price',
        { symbol: 'INFY', side: 'BUY', type: 'MARKET', quantity: 1, limitPrice: 5 },
        /body\.limitPrice: not allowed on a MARKET order \(got 5\)/,
      ],
      [
        'a stop-loss order without a trigger',
        { symbol: 'INFY', side: 'SELL', type: 'SL', quantity: 1, limitPrice: 1490 },
        /body\.triggerPrice: required for an SL order/,
      ],
      [
        'an SL BUY whose trigger is above its limit',
        {
          symbol: 'INFY',
          side: 'BUY',
          type: 'SL',
          quantity: 1,
          limitPrice: 1500,
          triggerPrice: 1505,
        },
        /body\.triggerPrice: 1505 is above the limit 1500 of an SL BUY/,
      ],
      [
        'an SL-M order with a limit',
        {
          symbol: 'INFY',
          side: 'SELL',
          type: 'SL-M',
          quantity: 1,
          limitPrice: 1490,
          triggerPrice: 1495,
        },
        /body\.limitPrice: not allowed on an SL-M order \(got 1490\)/,
      ],
      [
        'a trigger on a limit order',
        { symbol: 'INFY', side: 'BUY', type: 'LIMIT', quantity: 1, limitPrice: 5, triggerPrice: 4 },
        /body\.triggerPrice: not allowed on a LIMIT order \(got 4\)/,
      ],
    ])('refuses %s', async (_name, payload, message) => {
      const before = await counts();

      const res = await post(typeof payload === 'string' ? payload : JSON.stringify(payload));

      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(message);
      expect(await counts()).toEqual(before);
    });

    it('refuses a control action without a reason', async () => {
      const res = await post(JSON.stringify({ requestedBy: 'alice' }), '/pause');

      expect(res.statusCode).toBe(400);
      expect(res.json().message).toBe('body: missing required field "reason"');
      expect(h.internals.states.state()).toBe('ACTIVE');
    });

    it('refuses an unknown query parameter', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/flatten?dryrun=true',
        headers: auth,
        payload: { requestedBy: 'a', reason: 'b' },
      });

      expect(res.statusCode).toBe(400);
      expect(res.json().message).toBe('querystring: unknown field "dryrun"');
    });

    it('refuses a body that is not JSON', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/pause',
        headers: { ...auth, 'content-type': 'text/plain' },
        payload: 'pause',
      });

      expect(res.statusCode).toBe(415);
    });
  });

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
