import type { FastifyInstance } from 'fastify';
import * as z from 'zod';
import type { EngineSimContext } from './context';
import { phantomOrder } from './engine-views';
import { type FaultRequest, type FaultState, faultRequestSchema } from './faults';
import type { OrderEngine } from './order-engine';
import type { PriceWalk } from './price-walk';
import type { OrderSnapshot, SimTrade } from './sim-order';
import { toPaise } from './units';

/** An order opened at the broker by someone else (its app, a colleague): a market order. */
export const externalOrderSchema = z
  .object({
    tradingsymbol: z.string().min(1),
    transaction_type: z.enum(['BUY', 'SELL']),
    quantity: z.number().int().positive(),
  })
  .strict();

/** `POST /__sim/price`: pins an instrument's last price. */
const priceSchema = z.object({
  tradingsymbol: z.string().min(1),
  price: z.number().positive(),
});

/** `POST /__sim/step`: how many steps of the price walk to take. */
const stepsSchema = z.object({ steps: z.number().int().min(1).max(10_000).default(1) });

/** The simulator parts every control handle moves. */
export interface ControlledSimulator {
  readonly faults: FaultState;
  readonly sessions: { expireAll(): number };
  readonly engine: OrderEngine;
  readonly walk: PriceWalk;
  /** Advances the price walk one step, matches resting orders and publishes ticks. */
  step(): void;
}

/** How a broker's simulator publishes its ticks and words a bad control input. */
export interface ControlWiring {
  publishTicks(): void;
  invalidInput(message: string): Error;
}

/**
 * The levers every broker simulator's control handle has (faults, token expiry, the price walk),
 * whatever the broker: what tests call directly and the local stack calls through `/__sim/*`.
 */
export class SimControlCore {
  constructor(
    private readonly sim: ControlledSimulator,
    private readonly wiring: ControlWiring,
  ) {}

  /** Arms latency, failing statuses or withheld placement responses. */
  armFaults(request: FaultRequest) {
    this.sim.faults.arm(faultRequestSchema.parse(request));
    return this.sim.faults.snapshot();
  }

  /** Disarms every fault. */
  clearFaults() {
    this.sim.faults.clear();
    return this.sim.faults.snapshot();
  }

  /** Every access token dies now: the next call answers the broker's invalid-token error. */
  expireTokens(): number {
    return this.sim.sessions.expireAll();
  }

  /** Advances the price walk `steps` times (matching and ticks after each); the walk's steps. */
  step(steps = 1): number {
    for (let i = 0; i < steps; i += 1) this.sim.step();
    return this.sim.walk.steps;
  }

  /** Pins an instrument's last price (clamped to its circuit band), matches and publishes. */
  setPrice(tradingsymbol: string, priceRupees: number): number {
    const instrument = this.sim.engine.instrument(tradingsymbol);
    const paise = toPaise(priceRupees);
    if (!instrument || paise === undefined) {
      throw this.wiring.invalidInput(
        `Unknown tradingsymbol or price: ${tradingsymbol} ${priceRupees}`,
      );
    }
    const state = this.sim.walk.setPrice(instrument.instrumentToken, paise);
    this.sim.engine.matchAll();
    this.wiring.publishTicks();
    return state.ltpPaise / 100;
  }
}

/** The streams of a simulator that renders the shared engine (Upstox, Angel One). */
interface EngineStreams<Connections> {
  dropAll(): number;
  readonly connectionCount: Connections;
  publishTicks(): void;
  publishRaw(bytes: Buffer): void;
  publishOrderUpdate(update: unknown): void;
}

/** How such a simulator renders the engine's orders, order updates and trades. */
export interface EngineRendering<OrderJson> {
  readonly order: (order: OrderSnapshot) => OrderJson;
  readonly orderUpdate: (order: OrderSnapshot) => unknown;
  readonly trade: (trade: SimTrade) => unknown;
}

/**
 * The control handle of a simulator that renders the shared engine in a broker's JSON and streams
 * (Upstox, Angel One): the core levers, the streams' drops, the phantom order update, orders
 * placed behind the API's back and the book.
 */
export class EngineSimControl<OrderJson, Connections> extends SimControlCore {
  constructor(
    private readonly engineSim: EngineSimContext<
      { expireAll(): number },
      EngineStreams<Connections>
    >,
    private readonly render: EngineRendering<OrderJson>,
    invalidInput: (message: string) => Error,
  ) {
    super(engineSim, { publishTicks: () => engineSim.streams.publishTicks(), invalidInput });
  }

  /** Cuts every order-update and market-feed connection. */
  dropStreams(): number {
    return this.engineSim.streams.dropAll();
  }

  streamConnections(): Connections {
    return this.engineSim.streams.connectionCount;
  }

  /** Sends an order update for an order nobody placed; returns its id. */
  sendUnknownOrderUpdate(): string {
    const phantom = phantomOrder(this.engineSim.engine);
    this.engineSim.streams.publishOrderUpdate(this.render.orderUpdate(phantom));
    return phantom.orderId;
  }

  /** Opens a position behind the API's back: an intraday market order. */
  placeExternalOrder(order: z.input<typeof externalOrderSchema>): OrderJson {
    const fields = externalOrderSchema.parse(order);
    const placed = this.engineSim.place(
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
    return this.render.order(placed);
  }

  /** Orders, trades and positions, as the REST API renders them. */
  book() {
    return {
      orders: this.engineSim.engine.list().map(this.render.order),
      trades: this.engineSim.engine.trades().map(this.render.trade),
      positions: this.engineSim.positions(),
    };
  }
}

/** A control handle with the broker's external orders and book on top of the core levers. */
interface BrokerControl<O> extends SimControlCore {
  placeExternalOrder(order: O): unknown;
  book(): unknown;
}

/** What `/__sim/step` and `/__sim/price` answer: by default the request's steps and symbol. */
interface WalkAnswers {
  step(requested: number, walkSteps: number): unknown;
  price(tradingsymbol: string, lastPrice: number): unknown;
}

const requestEcho: WalkAnswers = {
  step: (steps) => ({ steps }),
  price: (tradingsymbol) => ({ tradingsymbol }),
};

/** The `/__sim` routes every simulator has (loopback only, like the whole simulator). */
export function registerCoreControlRoutes<O>(
  app: FastifyInstance,
  control: BrokerControl<O>,
  externalOrders: z.ZodType<O, unknown>,
  answers: WalkAnswers = requestEcho,
): void {
  app.post('/__sim/faults', async (request) =>
    control.armFaults(faultRequestSchema.parse(request.body)),
  );
  app.delete('/__sim/faults', async () => control.clearFaults());
  app.post('/__sim/session/expire', async () => ({ expired: control.expireTokens() }));
  app.post('/__sim/orders', async (request) =>
    control.placeExternalOrder(externalOrders.parse(request.body)),
  );
  app.get('/__sim/book', async () => control.book());
  app.post('/__sim/step', async (request) => {
    const { steps } = stepsSchema.parse(request.body ?? {});
    return answers.step(steps, control.step(steps));
  });
  app.post('/__sim/price', async (request) => {
    const { tradingsymbol, price } = priceSchema.parse(request.body);
    return answers.price(tradingsymbol, control.setPrice(tradingsymbol, price));
  });
}
