import { app, useApi } from './api-fixture';

describe('HTTP API', () => {
  useApi({ flag: 'true' });

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
});
