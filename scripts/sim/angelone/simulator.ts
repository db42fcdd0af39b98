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
import type { AngelSimContext } from './context';
import { AngelSimulatorControl, registerAngelControlRoutes } from './control';
import { registerAngelRoutes } from './routes';
import { AngelSessions, type AngelSimAccount } from './session';
import { AngelStreams, FEED_PATH, ORDER_UPDATE_PATH } from './streams';
import { AngelSimError, invalidInput, orderUpdateJson, positionJson, symbolToken } from './wire';

/** The port the simulator listens on when none is given: `LOCAL_ANGELONE_PORT`, else 8620. */
export function defaultAngelPort(env: NodeJS.ProcessEnv = process.env): number {
  return simulatorPort(env.LOCAL_ANGELONE_PORT, 8620);
}

export interface AngelSimulatorOptions extends AngelSimAccount, SimMarketOptions {
  /** @default defaultAngelPort(); 0 picks a free port */
  readonly port?: number;
}

export interface AngelSimulator {
  readonly port: number;
  /** The SDK's `root`. */
  readonly apiRoot: string;
  /** The order-status WebSocket (Angel's wss://tns.angelone.in/smart-order-update). */
  readonly orderStreamUrl: string;
  /** The WebSocket V2 feed (Angel's wss://smartapisocket.angelone.in/smart-stream). */
  readonly feedUrl: string;
  readonly control: AngelSimulatorControl;
  stop(): Promise<void>;
}

/** Angel's documented order request limit (per second, per user). */
const ORDER_REQUESTS_PER_SECOND = 20;

/**
 * Starts a SmartAPI simulator on 127.0.0.1: REST, the order-status WebSocket and the WebSocket
 * V2 feed on one port, the control API under `/__sim`. Its book is the simulators' shared matching
 * engine and price walk (broker-neutral), rendered in Angel One's shapes.
 */
export async function startAngelSimulator(options: AngelSimulatorOptions): Promise<AngelSimulator> {
  const { now, instruments, walk, engine, stepWith } = simMarket(options, options.clientCode);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const sessions = new AngelSessions(options, now);
  const byToken = new Map(
    instruments.filter((i) => i.segment === 'NSE').map((i) => [symbolToken(i), i]),
  );
  const streams = new AngelStreams(sessions, walk, (t) => byToken.get(t)?.instrumentToken);
  const guard = refusalGuard((message) => invalidInput(message));
  const ctx: AngelSimContext = {
    sessions,
    engine,
    walk,
    streams,
    faults: new FaultState(),
    orderRequestsPerSecond: new SlidingWindow(ORDER_REQUESTS_PER_SECOND, 1000, now),
    instrumentByToken: (token) => byToken.get(token),
    place: (fields, source) => guard(() => engine.place(fields, source)),
    guard,
    positions: () =>
      enginePositions(engine, instruments).map((p) =>
        positionJson(p, walk.state(p.instrument.instrumentToken)?.ltpPaise ?? 0),
      ),
    step: stepWith(() => streams.publishTicks()),
  };
  engine.onUpdate((order) =>
    streams.publishOrderUpdate(orderUpdateJson(order, options.clientCode)),
  );

  app.setErrorHandler((error: FastifyError | AngelSimError, _request, reply) => {
    if (error instanceof AngelSimError)
      return reply.code(error.httpStatus).send(error.toEnvelope());
    const status = (error as FastifyError).statusCode ?? 500;
    const wrapped =
      status < 500 ? invalidInput(error.message) : new AngelSimError('AB2001', error.message, 500);
    return reply.code(status).send(wrapped.toEnvelope());
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(new AngelSimError('AB2000', 'Resource not found', 404).toEnvelope()),
  );
  registerAngelRoutes(app, ctx);
  const control = new AngelSimulatorControl(ctx);
  registerAngelControlRoutes(app, control);
  streams.attach(app.server);

  const { port, stopTicking } = await listenAndTick(
    app,
    options.port ?? defaultAngelPort(),
    options.tickIntervalMs,
    () => ctx.step(),
  );
  const apiRoot = `http://127.0.0.1:${port}`;

  return {
    port,
    apiRoot,
    orderStreamUrl: `ws://127.0.0.1:${port}${ORDER_UPDATE_PATH}`,
    feedUrl: `ws://127.0.0.1:${port}${FEED_PATH}`,
    control,
    async stop() {
      stopTicking();
      await streams.close();
      await app.close();
    },
  };
}
