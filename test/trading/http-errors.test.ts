import { parseJsonBody } from '../../services/common/http-json';
import type { TradingServer } from '../../services/trading/src/http/server';
import type { TestDatabase } from '../support/database';
import { startApi, stopApi, TOKEN } from './api-fixture';
import type { Harness } from './harness';

describe('parseJsonBody', () => {
  it('names the literal of a number too large for a float, and its field', () => {
    expect(() => parseJsonBody('{"order": {"stopPrice": -1e400}}')).toThrow(
      'body.order.stopPrice: -1e400 is not a finite number',
    );
  });

  it('names every field when several numbers overflow', () => {
    expect(() => parseJsonBody('{"a": 1e400, "b": [2e999]}')).toThrow(
      'body.a, body.b.0: not finite numbers (1e400, 2e999)',
    );
  });

  it('reads digits inside strings as text, not as numbers', () => {
    expect(parseJsonBody('{"note": "1e400 \\" 9e999", "n": 1e-400}')).toEqual({
      note: '1e400 " 9e999',
      n: 0,
    });
  });

  it('refuses a key that reaches a prototype, wherever it is', () => {
    expect(() => parseJsonBody('{"a": {"__proto__": {"isAdmin": true}}}')).toThrow(
      'body has a forbidden key __proto__ (at body.a)',
    );
    expect(() => parseJsonBody('{"constructor": {"prototype": {}}}')).toThrow(
      'body has a forbidden key constructor (at body)',
    );
    expect(parseJsonBody('{"constructor": "a plain field"}')).toEqual({
      constructor: 'a plain field',
    });
  });
});

describe('HTTP API: a refused body names the real problem and writes nothing', () => {
  let db: TestDatabase;
  let h: Harness;
  let app: TradingServer;

  beforeAll(async () => {
    ({ db, h, app } = await startApi({ flag: 'true' }));
  });
  afterAll(() => stopApi({ db, h, app }));

  const orders = async () =>
    (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows[0]?.n;
  const post = (payload: string, url = '/orders') =>
    app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload,
    });
  const order = '"symbol": "INFY", "side": "BUY", "type": "MARKET", "quantity": 1';

  it.each([
    [
      'a stop price beyond a float',
      `{${order}, "stopPrice": 1e400}`,
      400,
      'BAD_REQUEST',
      'body.stopPrice: 1e400 is not a finite number',
    ],
    [
      'a __proto__ key',
      `{${order}, "__proto__": {"reduceOnly": true}}`,
      400,
      'BAD_REQUEST',
      'body has a forbidden key __proto__ (at body)',
    ],
    [
      'text that is not JSON',
      `{${order},`,
      400,
      'BAD_REQUEST',
      expect.stringMatching(/^body is not valid JSON: /),
    ],
    [
      'an empty body',
      '',
      400,
      'BAD_REQUEST',
      'body is empty but the content-type is application/json',
    ],
    [
      'a body over 64 KiB',
      `{${order}, "requestedBy": "${'x'.repeat(70_000)}"}`,
      413,
      'PAYLOAD_TOO_LARGE',
      expect.stringMatching(/body/i),
    ],
  ])('refuses %s', async (_name, payload, status, code, message) => {
    const before = await orders();

    const res = await post(payload);

    expect({ status: res.statusCode, body: res.json() }).toEqual({
      status,
      body: { error: code, message },
    });
    expect(await orders()).toBe(before);
  });

  it('still takes a valid order whose text holds an overflowing number inside a string', async () => {
    h.quoteAll();

    const res = await post(`{${order}, "stopPrice": 1490, "requestedBy": "1e400"}`);

    expect(res.statusCode).toBe(201);
  });
});
