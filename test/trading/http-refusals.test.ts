import { app, auth, db, h, TOKEN, useApi } from './api-fixture';

describe('HTTP API', () => {
  useApi({ flag: 'true' });

  // The service audits its own state transitions in the background (HALTED -> ACTIVE as it
  // starts): those rows are not the request's doing, and may land at any moment.
  const counts = async () =>
    (
      await db.pool.query(
        `SELECT (SELECT count(*) FROM orders)::int AS orders,
                (SELECT count(*) FROM control_audit WHERE action <> 'state-transition')::int AS audit`,
      )
    ).rows[0];

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
});
