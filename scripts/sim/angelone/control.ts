import type { FastifyInstance } from 'fastify';
import {
  EngineSimControl,
  externalOrderSchema,
  registerCoreControlRoutes,
} from '../shared/control';
import type { AngelSimContext } from './context';
import { invalidInput, orderJson, orderUpdateJson, tradeJson } from './wire';

/**
 * The simulator's control handle: what tests call directly and the local stack calls through
 * `/__sim/*`; every method is a fault or a view a real Angel One account cannot be asked for.
 */
export class AngelSimulatorControl extends EngineSimControl<
  ReturnType<typeof orderJson>,
  { orders: number; feed: number }
> {
  constructor(private readonly ctx: AngelSimContext) {
    super(
      ctx,
      {
        order: orderJson,
        orderUpdate: (o) => orderUpdateJson(o, ctx.sessions.account.clientCode),
        trade: tradeJson,
      },
      invalidInput,
    );
  }

  /** Sends every feed connection a packet cut short (a mode-3 header and nothing more). */
  sendMalformedFrame(): void {
    this.ctx.streams.publishRaw(Buffer.from([3, 1, 0x31, 0x35, 0x39, 0x34]));
  }

  /** The last price of an instrument, in rupees (the local stack prices its stops with it). */
  lastPrice(tradingsymbol: string): number | undefined {
    const instrument = this.ctx.engine.instrument(tradingsymbol);
    const state = instrument && this.ctx.walk.state(instrument.instrumentToken);
    return state ? state.ltpPaise / 100 : undefined;
  }
}

/** The control API over HTTP, under `/__sim` (loopback only, like the whole simulator). */
export function registerAngelControlRoutes(
  app: FastifyInstance,
  control: AngelSimulatorControl,
): void {
  registerCoreControlRoutes(app, control, externalOrderSchema);
  app.post('/__sim/streams/drop', async () => ({ dropped: control.dropStreams() }));
  app.post('/__sim/streams/unknown-order-update', async () => ({
    orderid: control.sendUnknownOrderUpdate(),
  }));
  app.get('/__sim/ltp/:tradingsymbol', async (request) => {
    const { tradingsymbol } = request.params as { tradingsymbol: string };
    return { tradingsymbol, ltp: control.lastPrice(tradingsymbol) ?? null };
  });
}
