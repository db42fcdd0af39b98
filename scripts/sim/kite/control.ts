import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import * as z from 'zod';
import { externalOrderSchema, registerCoreControlRoutes, SimControlCore } from '../shared/control';
import { phantomOrder } from '../shared/engine-views';
import { toPaise } from '../shared/units';
import { orderJson, orderUpdateJson, positionsJson, tradeJson } from './book-views';
import type { SimContext } from './context';
import { parsePlaceOrder } from './order-schemas';
import { truncatedFullMessage } from './ticker-packets';
import { inputError } from './wire';

const kiteExternalOrderSchema = externalOrderSchema
  .extend({ product: z.enum(['MIS', 'CNC']).default('MIS') })
  .strict();

/** An order opened at the broker by someone else (the Kite app, a colleague): a market order. */
export type ExternalOrder = z.input<typeof kiteExternalOrderSchema>;

/**
 * The simulator's control handle: what tests call directly and the local stack calls through
 * `/__sim/*`. Every method is a fault or a view a real Kite account cannot be asked for.
 */
export class SimulatorControl extends SimControlCore {
  constructor(private readonly ctx: SimContext) {
    super(ctx, { publishTicks: () => ctx.hub.publishTicks(), invalidInput: inputError });
  }

  /** A request_token for the configured user, as a completed login would redirect with. */
  issueRequestToken(): string {
    return this.ctx.sessions.issueRequestToken();
  }

  /** Cuts every ticker connection. */
  dropTickers(): number {
    return this.ctx.hub.dropAll();
  }

  /** How many ticker connections are open. */
  tickerConnections(): number {
    return this.ctx.hub.connectionCount;
  }

  /** Sends every ticker connection a torn binary frame, or bytes that frame nothing sensible. */
  sendMalformedPacket(kind: 'truncated' | 'garbage'): void {
    const first = this.ctx.engine.instrumentsListed()[0];
    const state = first && this.ctx.walk.state(first.instrumentToken);
    if (kind === 'truncated' && state) this.ctx.hub.publishRaw(truncatedFullMessage(state));
    else this.ctx.hub.publishRaw(Buffer.from([0x00, 0x01, 0xff, 0xff, 0xde, 0xad, 0xbe, 0xef]));
  }

  /** Sends an order update for an order id nobody placed; returns that id. */
  sendUnknownOrderUpdate(): string {
    const orderId = `9${randomBytes(7).readUIntBE(0, 6).toString().padStart(14, '0')}`;
    const phantom = phantomOrder(this.ctx.engine, orderId);
    const { user } = this.ctx.sessions;
    this.ctx.hub.publishText({
      type: 'order',
      id: '',
      data: orderUpdateJson(phantom, user.userId, user.apiSecret),
    });
    return orderId;
  }

  /**
   * Sends an order update that claims `orderId` completed, signed with a secret that is not the
   * app's (a tampered or forged update): the book does not change.
   */
  sendForgedOrderUpdate(orderId: string): void {
    const order = this.ctx.engine.list().find((o) => o.orderId === orderId);
    if (!order) throw inputError("Couldn't find that `order_id`.");
    const forged = { ...order, status: 'COMPLETE' as const, filledQuantity: order.quantity };
    const { user } = this.ctx.sessions;
    this.ctx.hub.publishText({
      type: 'order',
      id: '',
      data: orderUpdateJson(forged, user.userId, `not-${user.apiSecret}`),
    });
  }

  /** Opens a position behind the API's back: a market order placed not through `/orders`. */
  placeExternalOrder(order: ExternalOrder) {
    const fields = kiteExternalOrderSchema.parse(order);
    const placed = this.ctx.engine.place(
      parsePlaceOrder('regular', {
        exchange: 'NSE',
        tradingsymbol: fields.tradingsymbol,
        transaction_type: fields.transaction_type,
        quantity: String(fields.quantity),
        product: fields.product,
        order_type: 'MARKET',
      }),
      'external',
    );
    return orderJson(placed, this.ctx.sessions.user.userId);
  }

  /** The whole book: orders, trades and positions, as the REST API renders them. */
  book() {
    const { userId } = this.ctx.sessions.user;
    return {
      orders: this.ctx.engine.list().map((o) => orderJson(o, userId)),
      trades: this.ctx.engine.trades().map(tradeJson),
      positions: positionsJson(this.ctx.engine, this.ctx.walk),
    };
  }

  /** Sets the account's cash in rupees: `/user/margins` and the RMS margin check follow it. */
  setCash(rupees: number): number {
    const paise = toPaise(rupees);
    if (paise === undefined || paise < 0) throw inputError(`Invalid cash: ${rupees}`);
    this.ctx.engine.account.setCashPaise(paise);
    return paise / 100;
  }
}

/** The control API over HTTP, under `/__sim` (loopback only, like the whole simulator). */
export function registerControlRoutes(app: FastifyInstance, control: SimulatorControl): void {
  app.post('/__sim/request-token', async () => ({ request_token: control.issueRequestToken() }));
  app.get('/__sim/redirect', async (request) => request.query);
  registerCoreControlRoutes(app, control, kiteExternalOrderSchema, {
    step: (_requested, walkSteps) => ({ steps: walkSteps }),
    price: (_tradingsymbol, lastPrice) => ({ last_price: lastPrice }),
  });
  app.post('/__sim/ticker/drop', async () => ({ dropped: control.dropTickers() }));
  app.post('/__sim/ticker/malformed', async (request) => {
    const { kind } = z
      .object({ kind: z.enum(['truncated', 'garbage']).default('truncated') })
      .parse(request.body ?? {});
    control.sendMalformedPacket(kind);
    return { sent: kind };
  });
  app.post('/__sim/ticker/unknown-order-update', async () => ({
    order_id: control.sendUnknownOrderUpdate(),
  }));
  app.post('/__sim/ticker/forged-order-update', async (request) => {
    const { order_id } = z.object({ order_id: z.string().min(1) }).parse(request.body);
    control.sendForgedOrderUpdate(order_id);
    return { order_id };
  });
  app.post('/__sim/margins', async (request) => {
    const { cash } = z.object({ cash: z.number().nonnegative() }).parse(request.body);
    return { cash: control.setCash(cash) };
  });
}
