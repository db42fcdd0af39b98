import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import { registerGateway } from '../shared/gateway';
import type { SlidingWindow } from '../shared/rate-limit';
import type { UpstoxSimContext } from './context';
import { MARKET_PATH, PORTFOLIO_PATH } from './streams';
import {
  instrumentJson,
  invalidInput,
  missingApiVersion,
  orderJson,
  somethingWrong,
  success,
  tooManyRequests,
  tradeJson,
} from './wire';

/** Paths without a bearer token: the login dialog and the token exchange. */
const PUBLIC_PATHS = new Set(['/v2/login/authorization/dialog', '/v2/login/authorization/token']);
/** Paths where the SDK sends `Api-Version` and Upstox requires it. */
const VERSIONED = /^\/v2\/(order|portfolio|user)\//;

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = String(issue?.path[0] ?? 'request');
  const given = (value as Record<string, unknown> | undefined)?.[field];
  throw invalidInput(`Invalid ${field}: ${issue?.message ?? 'invalid'}`, field, given ?? null);
}

const tokenBody = z.object({
  code: z.string().min(1),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  redirect_uri: z.string().min(1),
  grant_type: z.literal('authorization_code'),
});

const orderType = z.enum(['MARKET', 'LIMIT', 'SL', 'SL-M']);

/** The place body as Upstox documents it: both prices always present, 0 where unused. */
const placeBody = z.object({
  quantity: z.number().int(),
  product: z.enum(['I', 'D']),
  validity: z.enum(['DAY', 'IOC']),
  price: z.number().nonnegative(),
  tag: z.string().optional(),
  instrument_token: z.string().min(1),
  order_type: orderType,
  transaction_type: z.enum(['BUY', 'SELL']),
  disclosed_quantity: z.number().int().nonnegative().default(0),
  trigger_price: z.number().nonnegative(),
  is_amo: z.boolean().default(false),
});

/** The modify body: Upstox requires validity, price, order_type and trigger_price on every one. */
const modifyBody = z.object({
  order_id: z.string().min(1),
  quantity: z.number().int().optional(),
  price: z.number().nonnegative(),
  order_type: orderType,
  validity: z.enum(['DAY', 'IOC']),
  trigger_price: z.number().nonnegative(),
  disclosed_quantity: z.number().int().nonnegative().optional(),
});

/**
 * The prices an order type takes, as engine fields (rupees); a required one that is 0 is refused
 * naming the field, as Upstox does.
 */
function typedPrices(body: {
  order_type: z.output<typeof orderType>;
  price: number;
  trigger_price: number;
}): { price?: number; trigger_price?: number } {
  const limit = body.order_type === 'LIMIT' || body.order_type === 'SL';
  const stop = body.order_type === 'SL' || body.order_type === 'SL-M';
  if (limit && body.price <= 0)
    throw invalidInput(
      `price must be greater than 0 for order_type ${body.order_type}`,
      'price',
      body.price,
    );
  if (stop && body.trigger_price <= 0)
    throw invalidInput(
      `trigger_price must be greater than 0 for order_type ${body.order_type}`,
      'trigger_price',
      body.trigger_price,
    );
  return {
    ...(limit ? { price: body.price } : {}),
    ...(stop ? { trigger_price: body.trigger_price } : {}),
  };
}

const orderIdQuery = z.object({ order_id: z.string().min(1) });

/** The desk's tags fit every broker's limit; the simulator holds Upstox to the same 20. */
const MAX_TAG = 20;

/**
 * Upstox API v2's REST surface: the gateway (fault injection, bearer token, `Api-Version`, the
 * order rate limits), the OAuth dialog and token exchange, orders, trades, positions, instrument
 * search and the two feeds' authorize endpoints.
 */
export function registerUpstoxRoutes(app: FastifyInstance, ctx: UpstoxSimContext): void {
  const { sessions, engine } = ctx;
  const user = sessions.user;

  registerGateway(app, {
    faults: ctx.faults,
    answerFault,
    check: (request, _reply, path) => {
      if (PUBLIC_PATHS.has(path)) return undefined;
      (request as { accessToken?: string }).accessToken = sessions.authenticate(
        request.headers.authorization,
      );
      if (VERSIONED.test(path) && request.headers['api-version'] === undefined)
        throw missingApiVersion();
      if (path.startsWith('/v2/order/') && request.method !== 'GET') {
        const limit: SlidingWindow = ctx.orderRequestsPerSecond;
        if (!limit.tryTake()) throw tooManyRequests();
      }
      return undefined;
    },
  });

  app.get('/v2/login/authorization/dialog', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const target = sessions.authorize(q.client_id ?? '', q.redirect_uri ?? '', q.state);
    return reply.redirect(target, 302);
  });

  app.post('/v2/login/authorization/token', async (request) => {
    const body = parsed(tokenBody, request.body);
    const { accessToken } = sessions.exchange(body);
    // The token answer is flat: the profile and the token, no envelope.
    return sessions.tokenAnswer(accessToken);
  });

  app.get('/v2/user/profile', async () =>
    success({
      email: `${user.userId.toLowerCase()}@sim.invalid`,
      exchanges: ['NSE'],
      products: ['D', 'I'],
      broker: 'UPSTOX',
      user_id: user.userId,
      user_name: user.userName,
      order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
      user_type: 'individual',
      poa: false,
      is_active: true,
    }),
  );

  app.delete('/v2/logout', async (request) => {
    sessions.logout((request as { accessToken?: string }).accessToken ?? '');
    return success(true);
  });

  app.post('/v2/order/place', async (request, reply) => {
    const body = parsed(placeBody, request.body);
    if (body.tag !== undefined && body.tag.length > MAX_TAG)
      throw invalidInput(`tag must be at most ${MAX_TAG} characters`, 'tag', body.tag);
    const instrument = ctx.instrumentByKey(body.instrument_token);
    if (!instrument)
      throw invalidInput('Invalid instrument_token', 'instrument_token', body.instrument_token);
    const order = ctx.place(
      {
        tradingsymbol: instrument.tradingsymbol,
        transaction_type: body.transaction_type,
        quantity: body.quantity,
        product: body.product === 'I' ? 'MIS' : 'CNC',
        order_type: body.order_type,
        validity: body.validity,
        ...typedPrices(body),
        ...(body.tag === undefined ? {} : { tag: body.tag }),
      },
      'api',
    );
    if (ctx.faults.takeHang()) {
      // Accepted into the book, answer withheld: the client times out not knowing the order_id.
      reply.hijack();
      return undefined;
    }
    return success({ order_id: order.orderId });
  });

  app.put('/v2/order/modify', async (request) => {
    const body = parsed(modifyBody, request.body);
    const fields = {
      order_type: body.order_type,
      validity: body.validity,
      ...typedPrices(body),
      ...(body.quantity === undefined ? {} : { quantity: body.quantity }),
    };
    const order = ctx.guard(() => engine.modify(body.order_id, fields));
    return success({ order_id: order.orderId });
  });

  app.delete('/v2/order/cancel', async (request) => {
    const { order_id } = parsed(orderIdQuery, request.query);
    return success({ order_id: ctx.guard(() => engine.cancel(order_id)).orderId });
  });

  app.get('/v2/order/retrieve-all', async () =>
    success(engine.list().map((o) => orderJson(o, user.userId))),
  );

  app.get('/v2/order/details', async (request) => {
    const { order_id } = parsed(orderIdQuery, request.query);
    ctx.guard(() => engine.history(order_id));
    const order = engine.list().find((o) => o.orderId === order_id);
    return success(order ? orderJson(order, user.userId) : null);
  });

  app.get('/v2/order/trades', async (request) => {
    const { order_id } = parsed(orderIdQuery, request.query);
    ctx.guard(() => engine.history(order_id));
    return success(
      engine
        .trades()
        .filter((t) => t.order.orderId === order_id)
        .map(tradeJson),
    );
  });

  app.get('/v2/order/trades/get-trades-for-day', async () =>
    success(engine.trades().map(tradeJson)),
  );

  app.get('/v2/portfolio/short-term-positions', async () => success(ctx.positions()));

  app.get('/v2/instruments/search', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const query = (q.query ?? '').toUpperCase();
    if (!query) throw invalidInput('query is required', 'query', null);
    return success(
      engine
        .instrumentsListed()
        .filter((i) => i.tradingsymbol.toUpperCase().includes(query))
        .map(instrumentJson),
    );
  });

  app.get('/v2/market-quote/ltp', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const keys = (q.instrument_key ?? '').split(',').filter(Boolean);
    if (keys.length === 0) throw invalidInput('instrument_key is required', 'instrument_key', null);
    const data: Record<string, unknown> = {};
    for (const key of keys) {
      const instrument = ctx.instrumentByKey(key);
      const state = instrument && ctx.walk.state(instrument.instrumentToken);
      // Upstox keys the answer by `<segment>:<symbol>`.
      if (instrument && state)
        data[`${key.split('|')[0]}:${instrument.tradingsymbol}`] = {
          last_price: state.ltpPaise / 100,
          instrument_token: key,
        };
    }
    return success(data);
  });

  const base = (request: FastifyRequest) => `http://${request.headers.host ?? '127.0.0.1'}`;
  const token = (request: FastifyRequest) =>
    (request as { accessToken?: string }).accessToken ?? '';
  app.get('/v2/feed/portfolio-stream-feed/authorize', async (request) =>
    success({
      authorizedRedirectUri: ctx.streams.authorizedUri(
        base(request),
        PORTFOLIO_PATH,
        token(request),
      ),
    }),
  );
  app.get('/v3/feed/market-data-feed/authorize', async (request) =>
    success({
      authorizedRedirectUri: ctx.streams.authorizedUri(base(request), MARKET_PATH, token(request)),
    }),
  );
}

/** A 429 and a 500 come as Upstox's envelope. */
function answerFault(reply: FastifyReply, status: 429 | 500) {
  return status === 429
    ? reply.code(429).send(tooManyRequests().toEnvelope())
    : reply.code(500).send(somethingWrong().toEnvelope());
}
