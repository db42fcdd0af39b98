import type { FastifyInstance } from 'fastify';
import * as z from 'zod';
import { phantomOrder } from '../shared/engine-views';
import { type FaultRequest, faultRequestSchema } from '../shared/faults';
import { toPaise } from '../shared/units';
import type { AngelSimContext } from './context';
import { invalidInput, orderJson, orderUpdateJson, tradeJson } from './wire';

const externalOrderSchema = z
  .object({
    tradingsymbol: z.string().min(1),
    transaction_type: z.enum(['BUY', 'SELL']),
    quantity: z.number().int().positive(),
  })
  .strict();

/** An order opened at Angel One by someone else (its app, a colleague): an intraday market order. */
export type AngelExternalOrder = z.input<typeof externalOrderSchema>;

const priceSchema = z.object({ tradingsymbol: z.string().min(1), price: z.number().positive() });

/**
 * The simulator's control handle: what tests call directly and the local stack calls through
 * `/__sim/*`; every method is a fault or a view a real Angel One account cannot be asked for.
 */
export class AngelSimulatorControl {
  constructor(private readonly ctx: AngelSimContext) {}

  armFaults(request: FaultRequest) {
    this.ctx.faults.arm(faultRequestSchema.parse(request));
    return this.ctx.faults.snapshot();
  }

  clearFaults() {
    this.ctx.faults.clear();
    return this.ctx.faults.snapshot();
  }

  /** Every session ends now: the next call answers AG8001 Invalid Token. */
  expireTokens(): number {
    return this.ctx.sessions.expireAll();
  }

  /** Cuts every order-update and feed connection. */
  dropStreams(): number {
    return this.ctx.streams.dropAll();
  }

  streamConnections() {
    return this.ctx.streams.connectionCount;
  }

  /** Sends every feed connection a packet cut short (a mode-3 header and nothing more). */
  sendMalformedFrame(): void {
    this.ctx.streams.publishRaw(Buffer.from([3, 1, 0x31, 0x35, 0x39, 0x34]));
  }

  /** Sends an order update for an order nobody placed; returns its id. */
  sendUnknownOrderUpdate(): string {
    const phantom = phantomOrder(this.ctx.engine);
    this.ctx.streams.publishOrderUpdate(
      orderUpdateJson(phantom, this.ctx.sessions.account.clientCode),
    );
    return phantom.orderId;
  }

  /** Opens a position behind the API's back. */
  placeExternalOrder(order: AngelExternalOrder) {
    const fields = externalOrderSchema.parse(order);
    const placed = this.ctx.place(
      {
        tradingsymbol: fields.tradingsymbol,
        transaction_type: fields.transaction_type,
        quantity: fields.quantity,
        product: 'MIS',
        order_type: 'MARKET',
        validity: 'DAY',
      },
      'external',
    );
    return orderJson(placed);
  }

  /** Orders, trades and positions, as the REST API renders them. */
  book() {
    return {
      orders: this.ctx.engine.list().map(orderJson),
      trades: this.ctx.engine.trades().map(tradeJson),
      positions: this.ctx.positions(),
    };
  }

  step(steps = 1): void {
    for (let i = 0; i < steps; i += 1) this.ctx.step();
  }

  /** Pins an instrument's last price, matches and publishes. */
  setPrice(tradingsymbol: string, priceRupees: number): void {
    const instrument = this.ctx.engine.instrument(tradingsymbol);
    const paise = toPaise(priceRupees);
    if (!instrument || paise === undefined)
      throw invalidInput(`Unknown tradingsymbol or price: ${tradingsymbol} ${priceRupees}`);
    this.ctx.walk.setPrice(instrument.instrumentToken, paise);
    this.ctx.engine.matchAll();
    this.ctx.streams.publishTicks();
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
  app.post('/__sim/faults', async (request) =>
    control.armFaults(faultRequestSchema.parse(request.body)),
  );
  app.delete('/__sim/faults', async () => control.clearFaults());
  app.post('/__sim/session/expire', async () => ({ expired: control.expireTokens() }));
  app.post('/__sim/streams/drop', async () => ({ dropped: control.dropStreams() }));
  app.post('/__sim/streams/unknown-order-update', async () => ({
    orderid: control.sendUnknownOrderUpdate(),
  }));
  app.post('/__sim/orders', async (request) =>
    control.placeExternalOrder(externalOrderSchema.parse(request.body)),
  );
  app.get('/__sim/book', async () => control.book());
  app.get('/__sim/ltp/:tradingsymbol', async (request) => {
    const { tradingsymbol } = request.params as { tradingsymbol: string };
    return { tradingsymbol, ltp: control.lastPrice(tradingsymbol) ?? null };
  });
  app.post('/__sim/step', async (request) => {
    const { steps } = z
      .object({ steps: z.number().int().min(1).max(10_000).default(1) })
      .parse(request.body ?? {});
    control.step(steps);
    return { steps };
  });
  app.post('/__sim/price', async (request) => {
    const { tradingsymbol, price } = priceSchema.parse(request.body);
    control.setPrice(tradingsymbol, price);
    return { tradingsymbol };
  });
}
