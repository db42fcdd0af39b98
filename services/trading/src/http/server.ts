import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ALGO_ID_PATTERN } from '../../../../contract/algo-id';
import { isIsoDate } from '../../../../contract/dates';
import type {
  AlgoHaltView,
  FlattenView,
  PositionView,
  TaskState,
} from '../../../../contract/trading-api';
import { bearerTokenMatches } from '../../../common/bearer-token';
import { messageOf } from '../../../common/errors';
import { httpErrorCode, useStrictJsonBodies } from '../../../common/http-json';
import { type Actor, ControlRefused, type ReloadRequest, type TradingApi } from '../api';
import { OPEN_STATUSES, ORDER_TYPES, type OrderType, orderPricesProblem } from '../domain';
import { isDatabaseUnavailable } from '../health/database-health';
import { MANUAL_STRATEGY_ID } from '../strategies/registry';

export interface ServerOptions {
  /** Bearer token required on every POST. */
  readonly controlToken: string;
  readonly log: Logger;
}

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

const orderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['symbol', 'side', 'type', 'quantity'],
  properties: {
    clientOrderId: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
    strategyId: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,39}$' },
    symbol: { type: 'string', pattern: '^[A-Z][A-Z0-9&-]{0,19}$' },
    side: { type: 'string', enum: ['BUY', 'SELL'] },
    type: { type: 'string', enum: ORDER_TYPES },
    quantity: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    limitPrice: { type: 'number', exclusiveMinimum: 0, maximum: 10_000_000 },
    triggerPrice: { type: 'number', exclusiveMinimum: 0, maximum: 10_000_000 },
    stopPrice: { type: 'number', exclusiveMinimum: 0, maximum: 10_000_000 },
    reduceOnly: { type: 'boolean' },
    requestedBy: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

interface OrderBody {
  clientOrderId?: string;
  strategyId?: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  type: OrderType;
  quantity: number;
  limitPrice?: number;
  triggerPrice?: number;
  stopPrice?: number;
  reduceOnly?: boolean;
}

const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

/** A 400 that names the field: `body.quantity: must be >= 1 (got -5)`. */
class BadRequest extends Error {
  readonly statusCode = 400;
}

/** A 403: a rule refused the action (the two-person rule), whatever its input. */
class Forbidden extends Error {
  readonly statusCode = 403;
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  data?: unknown;
}

/** Turns AJV errors into one message naming every bad field and value. */
function describeSchemaErrors(errors: AjvError[], dataVar: string): string {
  return errors
    .map((e) => {
      const field = `${dataVar}${e.instancePath.replaceAll('/', '.')}`;
      if (e.keyword === 'additionalProperties')
        return `${field}: unknown field "${String(e.params.additionalProperty)}"`;
      if (e.keyword === 'required')
        return `${field}: missing required field "${String(e.params.missingProperty)}"`;
      const got = e.data === undefined ? '' : ` (got ${JSON.stringify(e.data)})`;
      return `${field}: ${e.message ?? e.keyword}${got}`;
    })
    .join('; ');
}

/**
 * The control API the runbooks call. Reads are open (the network keeps them inside the VPC);
 * every POST needs the bearer token. Bad input is a 400 that names the field, and nothing is
 * written; a risk refusal is a 422 that names the rule.
 */
export function buildServer(service: TradingApi, options: ServerOptions) {
  const app = Fastify({
    loggerInstance: options.log,
    genReqId: () => randomUUID(),
    bodyLimit: 64 * 1024,
    ajv: {
      customOptions: {
        removeAdditional: false,
        allErrors: true,
        verbose: true,
        coerceTypes: false,
      },
    },
    schemaErrorFormatter: (errors, dataVar) =>
      new BadRequest(describeSchemaErrors(errors as AjvError[], dataVar)),
  });
  // JSON only: any other body is a 415, not a string for the schema to puzzle over.
  app.removeContentTypeParser('text/plain');
  useStrictJsonBodies(app);
  const expected = Buffer.from(options.controlToken);
  const actor = (request: FastifyRequest) => {
    const { requestedBy, reason } = request.body as Actor;
    return { requestedBy, reason };
  };

  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'POST' && !bearerTokenMatches(expected, request.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer');
      return reply.code(401).send({
        error: 'UNAUTHORIZED',
        message: 'a valid bearer token is required for control endpoints',
      });
    }
    return undefined;
  });
  app.addHook('onResponse', async (_request, reply) => {
    service.metrics.inc('algo_http_requests_total');
    if (reply.statusCode >= 500) service.metrics.inc('algo_http_errors_total');
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isDatabaseUnavailable(error)) {
      service.reportDatabaseError(error);
      return reply.code(503).send({
        error: 'DATABASE_UNAVAILABLE',
        message: `the database is unreachable: ${error.message}`,
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send({ error: httpErrorCode(status), message: error.message });
  });

  // Query values arrive as text and are validated as text (no type coercion anywhere).
  const query = (properties: Record<string, unknown>) => ({
    type: 'object',
    additionalProperties: false,
    properties,
  });

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

  app.post(
    '/orders',
    { schema: { body: orderBody, querystring: noQuery } },
    async (request, reply) => {
      const body = request.body as OrderBody;
      const strategyId = body.strategyId ?? MANUAL_STRATEGY_ID;
      if (strategyId !== MANUAL_STRATEGY_ID && !service.strategyIds().includes(strategyId)) {
        throw new BadRequest(`body.strategyId: unknown strategy "${body.strategyId}"`);
      }
      if (!service.instrument(body.symbol)) {
        throw new BadRequest(`body.symbol: "${body.symbol}" is not in the universe`);
      }
      const prices = orderPricesProblem(body);
      if (prices !== undefined) throw new BadRequest(`body.${prices}`);
      const result = await service.submitOrder({
        clientOrderId: body.clientOrderId ?? randomUUID(),
        strategyId,
        symbol: body.symbol,
        side: body.side,
        type: body.type,
        quantity: body.quantity,
        limitPrice: body.limitPrice,
        triggerPrice: body.triggerPrice,
        stopPrice: body.stopPrice,
        reduceOnly: body.reduceOnly ?? false,
      });
      switch (result.outcome) {
        case 'ACCEPTED':
          return reply.code(201).send(result);
        case 'EXISTING':
          return reply.code(200).send(result);
        case 'UNCERTAIN':
          return reply.code(202).send(result);
        case 'REJECTED':
          // Not the order's fault: the same request succeeds once the database is back.
          if (result.reason === 'DATABASE_UNAVAILABLE') {
            return reply.code(503).send({
              error: 'DATABASE_UNAVAILABLE',
              reason: result.reason,
              message: result.message,
            });
          }
          return reply.code(422).send({
            error: 'REJECTED',
            reason: result.reason,
            message: result.message,
            order: result.order,
          });
      }
    },
  );

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
  app.get('/api/health/rate-limits', { schema: { querystring: noQuery } }, async () => ({
    rateLimits: service.rateLimitsView(),
  }));

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` }),
  );
  return app;
}

export type TradingServer = ReturnType<typeof buildServer>;
