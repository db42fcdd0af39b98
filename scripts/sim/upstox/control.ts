import type { FastifyInstance } from 'fastify';
import {
  EngineSimControl,
  externalOrderSchema,
  registerCoreControlRoutes,
} from '../shared/control';
import type { UpstoxSimContext } from './context';
import { invalidInput, orderJson, orderUpdateJson, tradeJson } from './wire';

/**
 * The simulator's control handle: what tests call directly and the local stack calls through
 * `/__sim/*`; every method is a fault or a view a real Upstox account cannot be asked for.
 */
export class UpstoxSimulatorControl extends EngineSimControl<
  ReturnType<typeof orderJson>,
  { portfolio: number; market: number }
> {
  constructor(private readonly ctx: UpstoxSimContext) {
    super(
      ctx,
      {
        order: (o) => orderJson(o, ctx.sessions.user.userId),
        orderUpdate: (o) => orderUpdateJson(o, ctx.sessions.user.userId),
        trade: tradeJson,
      },
      invalidInput,
    );
  }

  /** An authorization code, as a completed login would redirect with. */
  issueCode(): string {
    return this.ctx.sessions.issueCode();
  }

  /** Sends every market-feed connection bytes protobuf cannot decode. */
  sendMalformedFrame(): void {
    this.ctx.streams.publishRaw(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xde, 0xad]));
  }
}

/** The control API over HTTP, under `/__sim` (loopback only, like the whole simulator). */
export function registerUpstoxControlRoutes(
  app: FastifyInstance,
  control: UpstoxSimulatorControl,
): void {
  app.post('/__sim/code', async () => ({ code: control.issueCode() }));
  app.get('/__sim/redirect', async (request) => request.query);
  registerCoreControlRoutes(app, control, externalOrderSchema);
  app.post('/__sim/streams/drop', async () => ({ dropped: control.dropStreams() }));
  app.post('/__sim/streams/unknown-order-update', async () => ({
    order_id: control.sendUnknownOrderUpdate(),
  }));
}
