import type { FastifyInstance } from 'fastify';
import * as z from 'zod';
import { phantomOrder } from '../shared/engine-views';
import { type FaultRequest, faultRequestSchema } from '../shared/faults';
import { toPaise } from '../shared/units';
import type { UpstoxSimContext } from './context';
import { invalidInput, orderJson, orderUpdateJson, tradeJson } from './wire';

const externalOrderSchema = z
  .object({
    tradingsymbol: z.string().min(1),
    transaction_type: z.enum(['BUY', 'SELL']),
    quantity: z.number().int().positive(),
  })
  .strict();

/** An order opened at Upstox by someone else (its app, a colleague): an intraday market order. */
export type UpstoxExternalOrder = z.input<typeof externalOrderSchema>;

const priceSchema = z.object({ tradingsymbol: z.string().min(1), price: z.number().positive() });

/**
 * The simulator's control handle: what tests call directly and the local stack calls through
 * `/__sim/*`; every method is a fault or a view a real Upstox account cannot be asked for.
 */
export class UpstoxSimulatorControl {
  constructor(private readonly ctx: UpstoxSimContext) {}

  /** An authorization code, as a completed login would redirect with. */
  issueCode(): string {
    return this.ctx.sessions.issueCode();
  }

  armFaults(request: FaultRequest) {
    this.ctx.faults.arm(faultRequestSchema.parse(request));
    return this.ctx.faults.snapshot();
  }

  clearFaults() {
    this.ctx.faults.clear();
    return this.ctx.faults.snapshot();
  }

  /** Every access token dies now: the next call answers 401 UDAPI100050. */
  expireTokens(): number {
    return this.ctx.sessions.expireAll();
  }

  /** Cuts every portfolio-stream and market-feed connection. */
  dropStreams(): number {
    return this.ctx.streams.dropAll();
  }

  streamConnections() {
    return this.ctx.streams.connectionCount;
  }

  /** Sends every market-feed connection bytes protobuf cannot decode. */
  sendMalformedFrame(): void {
    this.ctx.streams.publishRaw(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xde, 0xad]));
  }

  /** Sends an order update for an order nobody placed; returns its id. */
  sendUnknownOrderUpdate(): string {
    const phantom = phantomOrder(this.ctx.engine);
    this.ctx.streams.publishOrderUpdate(orderUpdateJson(phantom, this.ctx.sessions.user.userId));
    return phantom.orderId;
  }

  /** Opens a position behind the API's back. */
  placeExternalOrder(order: UpstoxExternalOrder) {
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
    return orderJson(placed, this.ctx.sessions.user.userId);
  }

  /** Orders, trades and positions, as the REST API renders them. */
  book() {
    const { userId } = this.ctx.sessions.user;
    return {
      orders: this.ctx.engine.list().map((o) => orderJson(o, userId)),
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
}

/** The control API over HTTP, under `/__sim` (loopback only, like the whole simulator). */
export function registerUpstoxControlRoutes(
  app: FastifyInstance,
  control: UpstoxSimulatorControl,
): void {
  app.post('/__sim/code', async () => ({ code: control.issueCode() }));
  app.get('/__sim/redirect', async (request) => request.query);
  app.post('/__sim/faults', async (request) =>
    control.armFaults(faultRequestSchema.parse(request.body)),
  );
  app.delete('/__sim/faults', async () => control.clearFaults());
  app.post('/__sim/session/expire', async () => ({ expired: control.expireTokens() }));
  app.post('/__sim/streams/drop', async () => ({ dropped: control.dropStreams() }));
  app.post('/__sim/streams/unknown-order-update', async () => ({
    order_id: control.sendUnknownOrderUpdate(),
  }));
  app.post('/__sim/orders', async (request) =>
    control.placeExternalOrder(externalOrderSchema.parse(request.body)),
  );
  app.get('/__sim/book', async () => control.book());
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
