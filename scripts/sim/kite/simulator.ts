import Fastify, { type FastifyError } from 'fastify';
import * as z from 'zod';
import { FaultState } from '../shared/faults';
import { SlidingWindow } from '../shared/rate-limit';
import {
  listenAndTick,
  type SimMarketOptions,
  simMarket,
  simulatorPort,
} from '../shared/sim-market';
import { SimRefusal } from '../shared/sim-order';
import { registerApiRoutes } from './api-routes';
import { orderUpdateJson } from './book-views';
import type { SimContext } from './context';
import { registerControlRoutes, SimulatorControl } from './control';
import { SessionStore } from './session';
import { TickerHub } from './ticker-hub';
import { KiteApiError, kiteRefusal } from './wire';

/** Kite's documented order-request limits. */
const KITE_ORDER_LIMITS = { perSecond: 10, perMinute: 200 } as const;

/** The port the simulator listens on when none is given: `LOCAL_KITE_PORT`, else 8600. */
export function defaultKitePort(env: NodeJS.ProcessEnv = process.env): number {
  return simulatorPort(env.LOCAL_KITE_PORT, 8600);
}

/** How to start a simulator. */
export interface KiteSimulatorOptions extends SimMarketOptions {
  /** @default defaultKitePort(); 0 picks a free port */
  readonly port?: number;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly userId: string;
  /** @default 'Sim Trader' */
  readonly userName?: string;
  /** Where `/connect/login` redirects. @default the simulator's own `/__sim/redirect` */
  readonly redirectUrl?: string;
  /** Milliseconds between ticker heartbeats. @default 1000 */
  readonly heartbeatMs?: number;
  /**
   * Called as an order request (a POST to /orders/*) reaches the door, before the simulator
   * does anything with it: benches time the client's side up to here.
   */
  readonly onOrderRequest?: () => void;
}

/** A running simulator. */
export interface KiteSimulator {
  readonly port: number;
  /** `root` for KiteConnect. */
  readonly apiRoot: string;
  /** `root` for KiteTicker. */
  readonly tickerRoot: string;
  /** The login page the desk's login link points at (`?api_key=..&v=3`). */
  readonly loginUrl: string;
  readonly control: SimulatorControl;
  stop(): Promise<void>;
}

/**
 * Starts a Kite Connect v3 simulator on 127.0.0.1: REST and the ticker WebSocket on one port,
 * the control API under `/__sim`.
 */
export async function startKiteSimulator(options: KiteSimulatorOptions): Promise<KiteSimulator> {
  const { now, walk, engine, stepWith } = simMarket(options, options.userId);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const sessions = new SessionStore(
    {
      apiKey: options.apiKey,
      apiSecret: options.apiSecret,
      userId: options.userId,
      userName: options.userName ?? 'Sim Trader',
      email: `${options.userId.toLowerCase()}@sim.invalid`,
    },
    now,
  );
  const hub = new TickerHub(sessions, walk, options.heartbeatMs ?? 1000);
  let redirectUrl = options.redirectUrl ?? '';
  const ctx: SimContext = {
    sessions,
    walk,
    engine,
    hub,
    faults: new FaultState(),
    orderRequestsPerSecond: new SlidingWindow(KITE_ORDER_LIMITS.perSecond, 1000, now),
    ordersPerMinute: new SlidingWindow(KITE_ORDER_LIMITS.perMinute, 60_000, now),
    get redirectUrl() {
      return redirectUrl;
    },
    step: stepWith(() => hub.publishTicks()),
  };
  engine.onUpdate((order) =>
    hub.publishText({
      type: 'order',
      id: '',
      data: orderUpdateJson(order, options.userId, options.apiSecret),
    }),
  );

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  app.setErrorHandler((thrown: FastifyError | KiteApiError | SimRefusal | z.ZodError, _, reply) => {
    const error = thrown instanceof SimRefusal ? kiteRefusal(thrown) : thrown;
    if (error instanceof KiteApiError) return reply.code(error.httpStatus).send(error.toEnvelope());
    if (error instanceof z.ZodError) {
      return reply.code(400).send({
        status: 'error',
        error_type: 'InputException',
        message: error.message,
        data: null,
      });
    }
    const status = error.statusCode ?? 500;
    return reply.code(status).send({
      status: 'error',
      error_type: status < 500 ? 'InputException' : 'GeneralException',
      message: error.message,
      data: null,
    });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({
      status: 'error',
      error_type: 'GeneralException',
      message: 'Route not found',
      data: null,
    }),
  );
  registerApiRoutes(app, ctx, options.onOrderRequest);
  const control = new SimulatorControl(ctx);
  registerControlRoutes(app, control);
  hub.attach(app.server);

  const { port, stopTicking } = await listenAndTick(
    app,
    options.port ?? defaultKitePort(),
    options.tickIntervalMs,
    () => ctx.step(),
  );
  const apiRoot = `http://127.0.0.1:${port}`;
  redirectUrl ||= `${apiRoot}/__sim/redirect`;

  return {
    port,
    apiRoot,
    tickerRoot: `ws://127.0.0.1:${port}/`,
    loginUrl: `${apiRoot}/connect/login`,
    control,
    async stop() {
      stopTicking();
      await hub.close();
      await app.close();
    },
  };
}
