import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import { registerGateway } from '../shared/gateway';
import {
  commodityMarginsJson,
  equityMarginsJson,
  orderJson,
  positionsJson,
  quoteJson,
  tradeJson,
} from './book-views';
import type { SimContext } from './context';
import { instrumentsCsv } from './instruments';
import { parseModifyOrder, parsePlaceOrder } from './order-schemas';
import { inputError, KiteApiError, tooManyRequestsError } from './wire';

/** Paths that take no access token: the login redirect and the session exchange itself. */
const PUBLIC_PATHS = new Set(['/connect/login', '/session/token']);

const sessionBody = z.object({
  api_key: z.string().min(1),
  request_token: z.string().min(1),
  checksum: z.string().min(1),
});

const logoutQuery = z.object({ api_key: z.string().min(1), access_token: z.string().min(1) });

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const field = String(result.error.issues[0]?.path[0] ?? 'request');
  throw inputError(`Missing or invalid \`${field}\`.`);
}

/** `i=NSE:INFY&i=NSE:TCS` as Fastify parses it: a string or an array. */
function instrumentKeys(query: unknown): string[] {
  const i = (query as { i?: string | string[] } | undefined)?.i;
  if (i === undefined) throw inputError('Missing `i`.');
  return Array.isArray(i) ? i : [i];
}

/**
 * Kite Connect v3's REST API: the gateway checks (fault injection, `X-Kite-Version: 3`, the
 * `Authorization: token api_key:access_token` header, the order rate limits), the login and
 * session endpoints, user, orders, portfolio and market data.
 */
export function registerApiRoutes(
  app: FastifyInstance,
  ctx: SimContext,
  onOrderRequest?: () => void,
): void {
  registerGateway(app, {
    faults: ctx.faults,
    answerFault,
    onArrival: (request, path) => {
      if (onOrderRequest && request.method === 'POST' && path.startsWith('/orders/'))
        onOrderRequest();
    },
    check: (request, _reply, path) => kiteChecks(ctx, request, path),
  });

  const user = ctx.sessions.user;

  app.get('/connect/login', async (request, reply) => {
    const query = request.query as { api_key?: string };
    if (query.api_key !== user.apiKey) throw inputError('Invalid `api_key`.');
    const target = new URL(ctx.redirectUrl);
    target.searchParams.set('action', 'login');
    target.searchParams.set('type', 'login');
    target.searchParams.set('status', 'success');
    target.searchParams.set('request_token', ctx.sessions.issueRequestToken());
    return reply.redirect(target.toString(), 302);
  });

  app.post('/session/token', async (request) => {
    const body = parsed(sessionBody, request.body);
    const session = ctx.sessions.exchange(body.api_key, body.request_token, body.checksum);
    return success(ctx.sessions.sessionData(session));
  });

  app.delete('/session/token', async (request) => {
    const query = parsed(logoutQuery, request.query);
    return success(ctx.sessions.invalidate(query.api_key, query.access_token));
  });

  app.get('/user/profile', async () => success(ctx.sessions.profileData()));
  app.get('/user/margins', async () =>
    success({ equity: equityMarginsJson(ctx.engine), commodity: commodityMarginsJson() }),
  );
  app.get('/user/margins/:segment', async (request) => {
    const { segment } = request.params as { segment: string };
    if (segment === 'equity') return success(equityMarginsJson(ctx.engine));
    if (segment === 'commodity') return success(commodityMarginsJson());
    throw inputError('Invalid segment.');
  });

  app.post('/orders/:variety', async (request, reply) => {
    const { variety } = request.params as { variety: string };
    const order = ctx.engine.place(parsePlaceOrder(variety, request.body), 'api');
    if (ctx.faults.takeHang()) {
      // Accepted into the book, answer withheld: the client times out not knowing the order_id.
      reply.hijack();
      return undefined;
    }
    return success({ order_id: order.orderId });
  });

  app.put('/orders/:variety/:orderId', async (request) => {
    const { orderId } = request.params as { orderId: string };
    const order = ctx.engine.modify(orderId, parseModifyOrder(request.body));
    return success({ order_id: order.orderId });
  });

  app.delete('/orders/:variety/:orderId', async (request) => {
    const { orderId } = request.params as { orderId: string };
    return success({ order_id: ctx.engine.cancel(orderId).orderId });
  });

  app.get('/orders', async () => success(ctx.engine.list().map((o) => orderJson(o, user.userId))));
  app.get('/orders/:orderId', async (request) => {
    const { orderId } = request.params as { orderId: string };
    return success(ctx.engine.history(orderId).map((o) => orderJson(o, user.userId)));
  });
  app.get('/orders/:orderId/trades', async (request) => {
    const { orderId } = request.params as { orderId: string };
    ctx.engine.history(orderId);
    return success(
      ctx.engine
        .trades()
        .filter((t) => t.order.orderId === orderId)
        .map(tradeJson),
    );
  });
  app.get('/trades', async () => success(ctx.engine.trades().map(tradeJson)));
  app.get('/portfolio/positions', async () => success(positionsJson(ctx.engine, ctx.walk)));
  app.get('/portfolio/holdings', async () => success([]));

  app.get('/instruments/:exchange', async (request, reply) => {
    const { exchange } = request.params as { exchange: string };
    const instruments = exchange === 'NSE' ? ctx.engine.instrumentsListed() : [];
    // The SDK parses the CSV only when the content type is exactly `text/csv`.
    return reply.type('text/csv').send(instrumentsCsv(instruments));
  });

  app.get('/quote', async (request) => {
    const data: Record<string, unknown> = {};
    for (const key of instrumentKeys(request.query)) {
      const state = ctx.walk.state(resolveToken(ctx, key) ?? -1);
      if (state) data[key] = quoteJson(state);
    }
    return success(data);
  });

  app.get('/quote/ltp', async (request) => {
    const data: Record<string, unknown> = {};
    for (const key of instrumentKeys(request.query)) {
      const state = ctx.walk.state(resolveToken(ctx, key) ?? -1);
      if (state) {
        data[key] = {
          instrument_token: state.instrument.instrumentToken,
          last_price: state.ltpPaise / 100,
        };
      }
    }
    return success(data);
  });
}

/** `NSE:INFY` or a bare instrument token, as Kite's quote endpoints accept both. */
function resolveToken(ctx: SimContext, key: string): number | undefined {
  if (/^\d+$/.test(key)) return Number(key);
  const [exchange, symbol] = key.split(':');
  if (exchange !== 'NSE' || symbol === undefined) return undefined;
  return ctx.engine.instrumentsListed().find((i) => i.tradingsymbol === symbol)?.instrumentToken;
}

const success = <T>(data: T) => ({ status: 'success', data });

/** Kite's own checks on an API request: its version header, the session, its order-rate limits. */
function kiteChecks(ctx: SimContext, request: FastifyRequest, path: string): undefined {
  if (path === '/connect/login') return undefined;

  if (request.headers['x-kite-version'] !== '3') {
    throw inputError('Invalid or missing `X-Kite-Version` header; it must be 3.');
  }
  if (!PUBLIC_PATHS.has(path)) ctx.sessions.authenticate(request.headers.authorization);
  if (path.startsWith('/orders/') && request.method !== 'GET') {
    if (!ctx.orderRequestsPerSecond.tryTake()) throw tooManyRequestsError();
    if (request.method === 'POST' && !ctx.ordersPerMinute.tryTake()) throw tooManyRequestsError();
  }
  return undefined;
}

/** A 429 and a 500 come from Kite's API as its JSON envelope. */
function answerFault(reply: FastifyReply, status: 429 | 500) {
  return status === 429
    ? reply
        .code(429)
        .send(new KiteApiError(429, 'NetworkException', 'Too many requests').toEnvelope())
    : reply
        .code(500)
        .send(
          new KiteApiError(500, 'GeneralException', 'Something unexpected went wrong').toEnvelope(),
        );
}
