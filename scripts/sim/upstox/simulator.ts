import Fastify, { type FastifyError } from 'fastify';
import { enginePositions } from '../shared/engine-views';
import { FaultState } from '../shared/faults';
import { SlidingWindow } from '../shared/rate-limit';
import {
  listenAndTick,
  refusalGuard,
  type SimMarketOptions,
  simMarket,
  simulatorPort,
} from '../shared/sim-market';
import type { UpstoxSimContext } from './context';
import { registerUpstoxControlRoutes, UpstoxSimulatorControl } from './control';
import { registerUpstoxRoutes } from './routes';
import { UpstoxSessions, type UpstoxSimApp } from './session';
import { UpstoxStreams } from './streams';
import { instrumentKey, invalidInput, orderUpdateJson, UpstoxSimError } from './wire';

/** The port the simulator listens on when none is given: `LOCAL_UPSTOX_PORT`, else 8610. */
export function defaultUpstoxPort(env: NodeJS.ProcessEnv = process.env): number {
  return simulatorPort(env.LOCAL_UPSTOX_PORT, 8610);
}

export interface UpstoxSimulatorOptions extends SimMarketOptions {
  /** @default defaultUpstoxPort(); 0 picks a free port */
  readonly port?: number;
  readonly clientId: string;
  readonly clientSecret: string;
  /** More apps of the account (one per named token at the desk). @default none */
  readonly moreApps?: readonly UpstoxSimApp[];
  /** The app's registered redirect URL. @default the simulator's own `/__sim/redirect` */
  readonly redirectUri?: string;
  readonly userId: string;
}

export interface UpstoxSimulator {
  readonly port: number;
  /** `basePath` and `orderBasePath` of the SDK's ApiClient. */
  readonly apiRoot: string;
  /** The authorize dialog a login link points at. */
  readonly dialogUrl: string;
  /** The redirect URL the app is registered with. */
  readonly redirectUri: string;
  readonly control: UpstoxSimulatorControl;
  stop(): Promise<void>;
}

/** Upstox's documented order request limit (per second, per user). */
const ORDER_REQUESTS_PER_SECOND = 50;

/**
 * Starts an Upstox API v2 simulator on 127.0.0.1: REST, the portfolio stream and the market data
 * feed V3 on one port, the control API under `/__sim`. Its book is the simulators' shared matching
 * engine and price walk (broker-neutral), rendered in Upstox's shapes.
 */
export async function startUpstoxSimulator(
  options: UpstoxSimulatorOptions,
): Promise<UpstoxSimulator> {
  const { now, instruments, walk, engine, stepWith } = simMarket(options, options.userId);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  let apiRoot = '';
  const redirect = () => options.redirectUri ?? `${apiRoot}/__sim/redirect`;
  const sessions = new UpstoxSessions(
    {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      get redirectUri() {
        return redirect();
      },
      userId: options.userId,
      userName: 'Sim Trader',
      moreApps: options.moreApps,
    },
    now,
  );
  const byKey = new Map(instruments.map((i) => [instrumentKey(i), i]));
  const streams = new UpstoxStreams(sessions, walk, (key) => byKey.get(key)?.instrumentToken, now);
  const guard = refusalGuard((message) => invalidInput(message));
  const ctx: UpstoxSimContext = {
    sessions,
    engine,
    walk,
    streams,
    faults: new FaultState(),
    orderRequestsPerSecond: new SlidingWindow(ORDER_REQUESTS_PER_SECOND, 1000, now),
    instrumentByKey: (key) => byKey.get(key),
    place: (fields, source) => guard(() => engine.place(fields, source)),
    guard,
    positions: () =>
      enginePositions(engine, instruments).map((p) => ({
        exchange: 'NSE',
        product: p.product === 'MIS' ? 'I' : 'D',
        instrument_token: instrumentKey(p.instrument),
        trading_symbol: p.instrument.tradingsymbol,
        tradingsymbol: p.instrument.tradingsymbol,
        quantity: p.netQuantity,
        day_buy_quantity: p.boughtQuantity,
        day_sell_quantity: p.soldQuantity,
        overnight_quantity: 0,
        multiplier: 1,
        last_price: (walk.state(p.instrument.instrumentToken)?.ltpPaise ?? 0) / 100,
      })),
    step: stepWith(() => streams.publishTicks()),
  };
  engine.onUpdate((order) => streams.publishOrderUpdate(orderUpdateJson(order, options.userId)));

  // The SDK sends `Content-Type: application/json` with no body on DELETE, which Upstox accepts.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(invalidInput('The request body is not JSON'), undefined);
    }
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  app.setErrorHandler((error: FastifyError | UpstoxSimError, _request, reply) => {
    if (error instanceof UpstoxSimError)
      return reply.code(error.httpStatus).send(error.toEnvelope());
    const status = (error as FastifyError).statusCode ?? 500;
    const wrapped =
      status < 500
        ? invalidInput(error.message)
        : new UpstoxSimError(500, 'UDAPI100500', error.message);
    return reply.code(status).send(wrapped.toEnvelope());
  });
  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .send(
        new UpstoxSimError(
          404,
          'UDAPI10000',
          'This request is not supported by Upstox API',
        ).toEnvelope(),
      ),
  );
  registerUpstoxRoutes(app, ctx);
  const control = new UpstoxSimulatorControl(ctx);
  registerUpstoxControlRoutes(app, control);
  streams.attach(app.server, () => apiRoot);

  const { port, stopTicking } = await listenAndTick(
    app,
    options.port ?? defaultUpstoxPort(),
    options.tickIntervalMs,
    () => ctx.step(),
  );
  apiRoot = `http://127.0.0.1:${port}`;

  return {
    port,
    apiRoot,
    dialogUrl: `${apiRoot}/v2/login/authorization/dialog`,
    redirectUri: redirect(),
    control,
    async stop() {
      stopTicking();
      await streams.close();
      await app.close();
    },
  };
}
