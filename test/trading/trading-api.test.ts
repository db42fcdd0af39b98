import pino from 'pino';
import type { TradingApi } from '../../services/trading/src/api';
import { DatabaseUnavailableError } from '../../services/trading/src/health/database-health';
import { buildServer } from '../../services/trading/src/http/server';
import { Metrics } from '../../services/trading/src/metrics/metrics';

const TOKEN = 'test-control-token-0123456789';

/** A TradingApi whose every member fails unless the test gives it an answer. */
function stubApi(answers: Partial<TradingApi>): TradingApi {
  const missing = (name: string) => () => {
    throw new Error(`the stub has no answer for ${name}`);
  };
  return new Proxy({ metrics: new Metrics(), ...answers } as TradingApi, {
    // Not thenable: only the API's own (string) members answer.
    get: (target, name) =>
      typeof name !== 'string' || name === 'then' || name in target
        ? Reflect.get(target, name)
        : missing(name),
  });
}

describe('buildServer on the TradingApi interface', () => {
  it('serves the working orders from the API, without a database', async () => {
    // Arrange
    const api = stubApi({ workingOrders: () => [] });
    const app = buildServer(api, { controlToken: TOKEN, log: pino({ level: 'silent' }) });

    // Act
    const res = await app.inject({ method: 'GET', url: '/orders?status=WORKING' });

    // Assert
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ orders: [] });
    expect(api.metrics.get('algo_http_requests_total')).toBe(1);
    await app.close();
  });

  it('refuses an order for a symbol the API does not know, without submitting it', async () => {
    // Arrange
    const submitOrder = jest.fn();
    const api = stubApi({ strategyIds: () => [], instrument: () => undefined, submitOrder });
    const app = buildServer(api, { controlToken: TOKEN, log: pino({ level: 'silent' }) });

    // Act
    const res = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { symbol: 'NOPE', side: 'BUY', type: 'MARKET', quantity: 1 },
    });

    // Assert
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('body.symbol: "NOPE" is not in the universe');
    expect(submitOrder).not.toHaveBeenCalled();
    await app.close();
  });

  it('reports a route that met the database down to the API, and answers 503', async () => {
    // Arrange
    const reportDatabaseError = jest.fn();
    const down = new DatabaseUnavailableError('connect ECONNREFUSED');
    const api = stubApi({ positionsView: () => Promise.reject(down), reportDatabaseError });
    const app = buildServer(api, { controlToken: TOKEN, log: pino({ level: 'silent' }) });

    // Act
    const res = await app.inject({ method: 'GET', url: '/positions' });

    // Assert
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toBe('DATABASE_UNAVAILABLE');
    expect(reportDatabaseError).toHaveBeenCalledWith(down);
    await app.close();
  });
});
