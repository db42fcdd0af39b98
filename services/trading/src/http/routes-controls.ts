import type { FastifyRequest } from 'fastify';
import { ALGO_ID_PATTERN } from '../../../../contract/algo-id';
import type { AlgoHaltView, FlattenView } from '../../../../contract/trading-api';
import { messageOf } from '../../../common/errors';
import { type Actor, ControlRefused, type ReloadRequest, type TradingApi } from '../api';
import { BadRequest, Forbidden, noQuery, query, type TradingApp } from './route-support';

const controlBody = {
  type: 'object',
  additionalProperties: false,
  required: ['requestedBy', 'reason'],
  properties: {
    requestedBy: { type: 'string', minLength: 1, maxLength: 200 },
    reason: { type: 'string', minLength: 1, maxLength: 500 },
  },
} as const;

/** A strategy reload: in LIVE the second person's name too (the two-person rule). */
const reloadBody = {
  ...controlBody,
  properties: {
    ...controlBody.properties,
    approvedBy: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

/** A control that may name one algo: `{algoId}` scopes it to that algo's strategies. */
const algoControlBody = {
  ...controlBody,
  properties: {
    ...controlBody.properties,
    algoId: { type: 'string', pattern: ALGO_ID_PATTERN },
  },
} as const;

const actor = (request: FastifyRequest) => {
  const { requestedBy, reason } = request.body as Actor;
  return { requestedBy, reason };
};

/**
 * The controls, each naming who and why: pause and resume, halt (one algo or all), flatten,
 * the risk-halt reset, universe and strategy reloads, and a circuit breaker's reset.
 */
export function registerControlRoutes(app: TradingApp, service: TradingApi): void {
  app.post('/pause', { schema: { body: controlBody, querystring: noQuery } }, async (request) =>
    service.pause(actor(request)),
  );
  app.post('/resume', { schema: { body: controlBody, querystring: noQuery } }, async (request) =>
    service.unpause(actor(request)),
  );
  // With `algoId`: that algo only (the exchange's per-algo kill switch); without: everything.
  app.post(
    '/control/halt',
    { schema: { body: algoControlBody, querystring: noQuery } },
    async (request) => {
      const { algoId } = request.body as { algoId?: string };
      if (algoId === undefined) return service.pushHalt(actor(request));
      return (await service.haltAlgo(actor(request), algoId)) satisfies AlgoHaltView;
    },
  );
  app.post(
    '/flatten',
    {
      schema: {
        body: algoControlBody,
        querystring: query({ dryRun: { type: 'string', enum: ['true', 'false'] } }),
      },
    },
    async (request): Promise<FlattenView> => {
      const dryRun = (request.query as { dryRun?: string }).dryRun === 'true';
      const { algoId } = request.body as { algoId?: string };
      return algoId === undefined
        ? service.flatten(actor(request), dryRun)
        : service.flattenAlgo(actor(request), algoId, dryRun);
    },
  );
  app.post(
    '/risk/reset',
    { schema: { body: controlBody, querystring: noQuery } },
    async (request) => service.resetRiskHalt(actor(request)),
  );
  app.post(
    '/universe/reload',
    { schema: { body: controlBody, querystring: noQuery } },
    async (request) => {
      try {
        return await service.reloadUniverse(actor(request));
      } catch (error) {
        throw new BadRequest(`universe not reloaded, the old one stays: ${messageOf(error)}`);
      }
    },
  );
  app.post(
    '/strategies/reload',
    { schema: { body: reloadBody, querystring: noQuery } },
    async (request) => {
      try {
        return await service.reloadStrategies(request.body as ReloadRequest);
      } catch (error) {
        const message = `strategies not reloaded, the old ones stay: ${messageOf(error)}`;
        throw error instanceof ControlRefused ? new Forbidden(message) : new BadRequest(message);
      }
    },
  );
  app.post(
    '/api/health/circuit-breakers/:name/reset',
    {
      schema: {
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', maxLength: 64 } },
        },
        body: controlBody,
        querystring: noQuery,
      },
    },
    async (request, reply) => {
      const { name } = request.params as { name: string };
      const snapshot = await service.resetBreaker(name, actor(request));
      if (!snapshot) {
        const known = service.breakersView().map((b) => b.name);
        return reply.code(404).send({
          error: 'NOT_FOUND',
          message: `no circuit breaker "${name}"; known: ${known.join(', ')}`,
        });
      }
      return snapshot;
    },
  );
}
