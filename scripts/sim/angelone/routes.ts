import { isIPv4 } from 'node:net';
import type { FastifyInstance, FastifyReply } from 'fastify';
import * as z from 'zod';
import { registerGateway } from '../shared/gateway';
import type { AngelSimContext } from './context';
import {
  angelSymbol,
  badHeader,
  invalidApiKey,
  invalidInput,
  orderJson,
  orderNotFound,
  RATE_LIMIT_TEXT,
  somethingWrong,
  success,
  symbolNotFound,
  symbolToken,
  tradeJson,
} from './wire';

const AUTH = '/rest/auth/angelbroking';
const SECURE = '/rest/secure/angelbroking';
const LOGIN_PATH = `${AUTH}/user/v1/loginByPassword`;
const REFRESH_PATH = `${AUTH}/jwt/v1/generateTokens`;

/** Angel's limit on `ordertag` (since November 2024): 20 characters. */
const MAX_ORDER_TAG = 20;

const numberText = z.union([z.string(), z.number()]).transform(String);

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = String(issue?.path[0] ?? 'request');
  const given = (value as Record<string, unknown> | undefined)?.[field];
  throw invalidInput(`Invalid ${field}: ${JSON.stringify(given ?? null)}`);
}

const loginBody = z.object({
  clientcode: z.string().min(1),
  password: z.string().min(1),
  totp: z.string().regex(/^\d{6}$/),
});

const variety = z.enum(['NORMAL', 'STOPLOSS']);

const placeBody = z.object({
  variety,
  tradingsymbol: z.string().min(1),
  symboltoken: z.string().min(1),
  transactiontype: z.enum(['BUY', 'SELL']),
  exchange: z.literal('NSE'),
  ordertype: z.enum(['MARKET', 'LIMIT', 'STOPLOSS_LIMIT', 'STOPLOSS_MARKET']),
  producttype: z.enum(['INTRADAY', 'DELIVERY']),
  duration: z.enum(['DAY', 'IOC']),
  price: numberText.optional(),
  triggerprice: numberText.optional(),
  quantity: z.union([z.string().regex(/^\d+$/), z.number().int()]).transform(Number),
  ordertag: z.string().optional(),
});

const modifyBody = placeBody
  .omit({ transactiontype: true, ordertag: true })
  .extend({ orderid: z.string().min(1) });

const cancelBody = z.object({ variety, orderid: z.string().min(1) });

/** The engine's order type of Angel's `ordertype`. */
const ENGINE_TYPE = {
  MARKET: 'MARKET',
  LIMIT: 'LIMIT',
  STOPLOSS_LIMIT: 'SL',
  STOPLOSS_MARKET: 'SL-M',
} as const;

/**
 * The engine's type and the prices it takes (rupees). Stop-loss order types go with the
 * STOPLOSS variety and a trigger price; anything else is refused naming the field, as Angel does.
 */
function typedOrder(
  body: Pick<z.output<typeof placeBody>, 'variety' | 'ordertype' | 'price' | 'triggerprice'>,
): {
  order_type: (typeof ENGINE_TYPE)[keyof typeof ENGINE_TYPE];
  price?: number;
  trigger_price?: number;
} {
  const type = ENGINE_TYPE[body.ordertype];
  const stop = type === 'SL' || type === 'SL-M';
  if (stop !== (body.variety === 'STOPLOSS'))
    throw invalidInput(
      `Invalid variety: ${body.variety} does not take ordertype ${body.ordertype}`,
    );
  const price = Number(body.price ?? 0);
  const trigger = Number(body.triggerprice ?? 0);
  if ((type === 'LIMIT' || type === 'SL') && !(price > 0))
    throw invalidInput(`Invalid price: ${JSON.stringify(body.price ?? null)}`);
  if (stop && !(trigger > 0))
    throw invalidInput(`Invalid triggerprice: ${JSON.stringify(body.triggerprice ?? null)}`);
  return {
    order_type: type,
    ...(type === 'LIMIT' || type === 'SL' ? { price } : {}),
    ...(stop ? { trigger_price: trigger } : {}),
  };
}

/** The variety an order was placed with must be named to modify or cancel it. */
function checkVariety(ctx: AngelSimContext, orderid: string, given: string): void {
  const order = ctx.engine.list().find((o) => o.orderId === orderid);
  if (!order) throw orderNotFound();
  const stop = order.orderType === 'SL' || order.orderType === 'SL-M';
  if (given !== (stop ? 'STOPLOSS' : 'NORMAL'))
    throw invalidInput(`Invalid variety: order ${orderid} is ${stop ? 'STOPLOSS' : 'NORMAL'}`);
}

/** The SDK's own headers on every call; Angel rejects a request without them. */
const REQUIRED_HEADERS: ReadonlyArray<[string, (v: string) => boolean]> = [
  ['x-usertype', (v) => v === 'USER'],
  ['x-sourceid', (v) => v === 'WEB'],
  ['x-clientlocalip', isIPv4],
  ['x-clientpublicip', isIPv4],
  ['x-macaddress', (v) => /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(v)],
  ['content-type', (v) => v.startsWith('application/json')],
];

/**
 * SmartAPI's REST surface: the gateway (faults, headers, API key, JWT, the order rate limit),
 * the login, token renewal and logout, profile, orders, order book, trade book, positions and
 * scrip search.
 */
export function registerAngelRoutes(app: FastifyInstance, ctx: AngelSimContext): void {
  const { sessions, engine } = ctx;
  const account = sessions.account;

  registerGateway(app, {
    faults: ctx.faults,
    answerFault,
    check: (request, reply, path) => {
      for (const [name, ok] of REQUIRED_HEADERS) {
        const value = request.headers[name];
        if (typeof value !== 'string' || !ok(value)) throw badHeader(name);
      }
      if (request.headers['x-privatekey'] !== account.apiKey) throw invalidApiKey();
      if (path === LOGIN_PATH || path === REFRESH_PATH) return undefined;
      (request as { jwt?: string }).jwt = sessions.authenticate(request.headers.authorization);
      if (/\/order\/v1\/(placeOrder|modifyOrder|cancelOrder)$/.test(path)) {
        if (!ctx.orderRequestsPerSecond.tryTake())
          return reply.code(429).type('text/plain').send(RATE_LIMIT_TEXT);
      }
      return undefined;
    },
  });

  app.post(LOGIN_PATH, async (request) => success(sessions.login(parsed(loginBody, request.body))));

  app.post(REFRESH_PATH, async (request) => {
    const { refreshToken } = parsed(z.object({ refreshToken: z.string().min(1) }), request.body);
    return success(sessions.refresh(request.headers.authorization, refreshToken));
  });

  app.post(`${SECURE}/user/v1/logout`, async (request) => {
    const { clientcode } = parsed(z.object({ clientcode: z.string() }), request.body);
    if (clientcode !== account.clientCode) throw invalidInput('Invalid clientcode');
    sessions.logout((request as { jwt?: string }).jwt ?? '');
    return success('');
  });

  app.get(`${SECURE}/user/v1/getProfile`, async () =>
    success({
      clientcode: account.clientCode,
      name: account.name,
      email: '',
      mobileno: '',
      exchanges: ['nse_cm', 'bse_cm'],
      products: ['MARGIN', 'MIS', 'NRML', 'CNC', 'CO', 'BO'],
      lastlogintime: '',
      broker: '',
    }),
  );

  app.post(`${SECURE}/order/v1/placeOrder`, async (request, reply) => {
    const body = parsed(placeBody, request.body);
    if (body.ordertag !== undefined && body.ordertag.length > MAX_ORDER_TAG)
      throw invalidInput(`ordertag length should be less than ${MAX_ORDER_TAG} characters`);
    const instrument = ctx.instrumentByToken(body.symboltoken);
    if (!instrument || angelSymbol(instrument) !== body.tradingsymbol) throw symbolNotFound();
    const order = ctx.place(
      {
        tradingsymbol: instrument.tradingsymbol,
        transaction_type: body.transactiontype,
        quantity: body.quantity,
        product: body.producttype === 'INTRADAY' ? 'MIS' : 'CNC',
        validity: body.duration,
        ...typedOrder(body),
        ...(body.ordertag ? { tag: body.ordertag } : {}),
      },
      'api',
    );
    if (ctx.faults.takeHang()) {
      // Accepted into the book, answer withheld: the client times out not knowing the orderid.
      reply.hijack();
      return undefined;
    }
    return success({
      script: body.tradingsymbol,
      orderid: order.orderId,
      uniqueorderid: `sim-${order.orderId}`,
    });
  });

  app.post(`${SECURE}/order/v1/modifyOrder`, async (request) => {
    const body = parsed(modifyBody, request.body);
    checkVariety(ctx, body.orderid, body.variety);
    const fields = { quantity: body.quantity, ...typedOrder(body) };
    const order = ctx.guard(() => engine.modify(body.orderid, fields));
    return success({ orderid: order.orderId, uniqueorderid: `sim-${order.orderId}` });
  });

  app.post(`${SECURE}/order/v1/cancelOrder`, async (request) => {
    const { orderid, variety: given } = parsed(cancelBody, request.body);
    checkVariety(ctx, orderid, given);
    const order = ctx.guard(() => engine.cancel(orderid));
    return success({ orderid: order.orderId, uniqueorderid: `sim-${order.orderId}` });
  });

  // An empty book, trade book or position list is `data: null`, as Angel answers it.
  const listOrNull = <T>(rows: readonly T[]) => success(rows.length === 0 ? null : rows);
  app.get(`${SECURE}/order/v1/getOrderBook`, async () => listOrNull(engine.list().map(orderJson)));
  app.get(`${SECURE}/order/v1/getTradeBook`, async () =>
    listOrNull(engine.trades().map(tradeJson)),
  );
  app.get(`${SECURE}/order/v1/getPosition`, async () => listOrNull(ctx.positions()));

  app.post(`${SECURE}/order/v1/searchScrip`, async (request) => {
    const { exchange, searchscrip } = parsed(
      z.object({ exchange: z.string(), searchscrip: z.string().min(1) }),
      request.body,
    );
    const query = searchscrip.toUpperCase();
    return success(
      engine
        .instrumentsListed()
        .filter((i) => exchange === 'NSE' && i.segment === 'NSE')
        .filter((i) => i.tradingsymbol.toUpperCase().includes(query))
        .map((i) => ({
          exchange: 'NSE',
          tradingsymbol: angelSymbol(i),
          symboltoken: symbolToken(i),
        })),
    );
  });
}

/** Faults as Angel's edge answers them: the throttle's text, an internal error. */
function answerFault(reply: FastifyReply, status: 429 | 500) {
  return status === 429
    ? reply.code(429).type('text/plain').send(RATE_LIMIT_TEXT)
    : reply.code(500).send(somethingWrong().toEnvelope());
}
