import { isIsoDate } from '../../../../contract/dates';
import type { PositionView, TaskState } from '../../../../contract/trading-api';
import type { TradingApi } from '../api';
import { OPEN_STATUSES } from '../domain';
import { BadRequest, noQuery, query, type TradingApp } from './route-support';

/**
 * The open reads: health and readiness, state, positions, orders, trades, metrics, and the
 * health views the dashboard shows.
 */
export function registerReadRoutes(app: TradingApp, service: TradingApi): void {
  app.get('/health', { schema: { querystring: noQuery } }, async () => ({
    status: 'ok',
    uptimeSeconds: Math.round(process.uptime()),
  }));

  app.get('/ready', { schema: { querystring: noQuery } }, async (_request, reply) => {
    const result = await service.ready();
    return reply.code(result.ready ? 200 : 503).send(result);
  });

  // The answers are checked against the contract's views: what the ops client and dashboard read.
  app.get(
    '/state',
    { schema: { querystring: noQuery } },
    async (): Promise<TaskState> => service.stateView(),
  );

  app.get('/positions', { schema: { querystring: noQuery } }, async () => ({
    positions: (await service.positionsView()) satisfies PositionView[],
  }));

  app.get(
    '/orders',
    {
      schema: {
        querystring: query({
          status: {
            type: 'string',
            enum: [...OPEN_STATUSES, 'FILLED', 'CANCELLED', 'REJECTED', 'WORKING'],
          },
          limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
        }),
      },
    },
    async (request) => {
      const q = request.query as { status?: string; limit?: string };
      if (q.status === 'WORKING') return { orders: service.workingOrders() };
      return {
        orders: await service.orders({
          status: q.status as (typeof OPEN_STATUSES)[number] | undefined,
          limit: Number(q.limit ?? 200),
        }),
      };
    },
  );

  app.get(
    '/trades',
    {
      schema: {
        querystring: query({ date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } }),
      },
    },
    async (request) => {
      const date = (request.query as { date?: string }).date;
      if (date !== undefined && !isIsoDate(date))
        throw new BadRequest(`querystring.date: not a calendar date (got "${date}")`);
      const day = date ?? service.tradingDay();
      return { date: day, trades: await service.trades(day) };
    },
  );

  app.get('/metrics', { schema: { querystring: noQuery } }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4').send(service.metrics.prometheus()),
  );
  app.get('/api/reconciliation', { schema: { querystring: noQuery } }, async () =>
    service.reconciliationView(),
  );
  app.get('/api/health/broker', { schema: { querystring: noQuery } }, async () =>
    service.brokerView(),
  );
  app.get('/api/health/feeds', { schema: { querystring: noQuery } }, async () => ({
    feeds: service.feedsView(),
  }));
  app.get('/api/health/circuit-breakers', { schema: { querystring: noQuery } }, async () => ({
    circuitBreakers: service.breakersView(),
  }));
  app.get('/api/health/rate-limits', { schema: { querystring: noQuery } }, async () => ({
    rateLimits: service.rateLimitsView(),
  }));
}
