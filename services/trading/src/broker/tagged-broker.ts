import type { Logger } from 'pino';
import type { Fill, Order } from '../domain';
import {
  type Broker,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRejectedError,
  type BrokerToken,
  type OrderChanges,
  type SendThrough,
  sendDirectly,
} from './broker';
import { AlgoTags, type BrokerStrategies, digestOfTag, orderDigest } from './order-tag';
import {
  attributeVenuePositions,
  type OrderStream,
  type TaggedVenue,
  VenueError,
  type VenueFill,
  type VenueOrder,
} from './tagged-venue';

export interface TaggedBrokerOptions {
  /** `Broker.name`. */
  readonly name: 'kite' | 'upstox' | 'angelone';
  readonly venue: TaggedVenue;
  readonly stream: OrderStream;
  /** The token's name and expiry, for the token check. */
  readonly token: { readonly name: string; readonly expiresAt: () => number };
  /** Per-strategy product, parsed with `BrokerStrategiesSchema` at config load. */
  readonly strategies: BrokerStrategies;
  /** Algo ID -> strategy id of the configured strategies and the manual orders (tag lookups). */
  readonly algoStrategies: ReadonlyMap<string, string>;
  /** The order book is read this often while orders of ours are working. @default 2000 */
  readonly pollMs?: number;
  /** Extra attempts of a read after a transient error (429, 5xx, no answer). @default 3 */
  readonly readRetries?: number;
  /** @default 200, doubled per attempt */
  readonly readBackoffMs?: number;
  readonly log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** One order of ours at the broker, as far as this task knows it. */
interface Tracked {
  readonly clientOrderId: string;
  readonly strategyId: string;
  brokerOrderId?: string;
  readonly fills: Map<string, Fill>;
  final: boolean;
  chain: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A live broker behind the `Broker` interface, over a `TaggedVenue` (its SDK) and an
 * `OrderStream` (its order-update socket). Every order carries the tag `prefix + digest(client
 * order id)`, so a lookup by client order id finds it in the day's order book even after a
 * restart, and a placement is never repeated: a second submit of a client order id already sent
 * (its answer lost to a timeout) is answered by the lookup. Stream updates, and the order book
 * polled while orders work and after every reconnect, become fills and closed-order events; an
 * update for an order this task never sent is counted and logged.
 */
export class TaggedBroker implements Broker {
  readonly name: string;
  private readonly byDigest = new Map<string, Tracked>();
  private readonly tags: AlgoTags;
  private readonly fillListeners: Array<(fill: Fill, order: BrokerOrder) => void> = [];
  private readonly closedListeners: Array<(order: BrokerOrder) => void> = [];
  private problem?: { message: string; at: number };
  private pollTimer?: NodeJS.Timeout;
  /** Order updates for orders this task never sent; malformed update payloads. */
  readonly counters = { unknownOrderUpdates: 0, malformedOrderUpdates: 0 };

  constructor(private readonly options: TaggedBrokerOptions) {
    this.name = options.name;
    this.tags = new AlgoTags(options.name, options.algoStrategies);
  }

  /** Listens to the order stream and starts the poll; the stream's owner starts the stream. */
  start(): void {
    this.options.stream.onOrderUpdate((raw) => this.onUpdate(raw));
    this.options.stream.onConnect((reconnect) => {
      if (reconnect) void this.poll();
    });
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollMs ?? 2000);
  }

  connected(): boolean {
    return this.options.stream.connected();
  }

  tokenProblem(): string | undefined {
    return this.problem?.message;
  }

  onFill(listener: (fill: Fill, order: BrokerOrder) => void): void {
    this.fillListeners.push(listener);
  }

  onOrderClosed(listener: (order: BrokerOrder) => void): void {
    this.closedListeners.push(listener);
  }

  async submit(
    order: Order,
    through: SendThrough = sendDirectly,
  ): Promise<{ brokerOrderId: string }> {
    const label = this.options.venue.label;
    const digest = orderDigest(order.clientOrderId);
    if (this.byDigest.has(digest)) {
      // Sent before (its answer may have been lost): the order book decides, nothing is re-sent.
      const found = await this.getOrder(order.clientOrderId);
      if (found) return { brokerOrderId: found.brokerOrderId };
      throw new Error(
        `${order.clientOrderId} was sent before and is not in ${label}'s order book yet`,
      );
    }
    if (this.problem) throw new BrokerRejectedError(`not sent: ${this.problem.message}`);
    const tag = this.tags.tagOf(order);
    if (!(await this.read(() => this.options.venue.knowsSymbol(order.symbol))))
      throw new BrokerRejectedError(`${order.symbol} is not in ${label}'s NSE instrument list`);
    const tracked = this.track(order.clientOrderId, order.strategyId, digest);
    try {
      tracked.brokerOrderId = await through(() =>
        this.call(() =>
          this.options.venue.place({ order, product: this.productOf(order.strategyId), tag }),
        ),
      );
      return { brokerOrderId: tracked.brokerOrderId };
    } catch (error) {
      if (error instanceof VenueError && error.kind !== 'transient') {
        // Refused outright: no order exists, the client order id may be used again.
        this.byDigest.delete(digest);
        throw new BrokerRejectedError(error.message);
      }
      throw error;
    }
  }

  /** Changes a working order's quantity, limit or trigger price. */
  async modify(
    clientOrderId: string,
    changes: OrderChanges,
    through: SendThrough = sendDirectly,
  ): Promise<void> {
    const id = await this.brokerOrderIdOf(clientOrderId);
    if (!id)
      throw new BrokerRejectedError(`${clientOrderId} is not at ${this.options.venue.label}`);
    try {
      await through(() => this.call(() => this.options.venue.modify(id, changes)));
    } catch (error) {
      if (error instanceof VenueError && error.kind === 'refused')
        throw new BrokerRejectedError(error.message);
      throw error;
    }
    void this.poll();
  }

  async cancel(clientOrderId: string, through: SendThrough = sendDirectly): Promise<void> {
    const id = await this.brokerOrderIdOf(clientOrderId);
    if (!id) return;
    try {
      await through(() => this.call(() => this.options.venue.cancel(id)));
    } catch (error) {
      // A broker refuses to cancel a completed order: a moot cancel, not a failure.
      const now = error instanceof VenueError ? await this.getOrder(clientOrderId) : undefined;
      if (now && now.status !== 'OPEN') return;
      throw error;
    }
    void this.poll();
  }

  async getOrder(clientOrderId: string): Promise<BrokerOrder | undefined> {
    const digest = orderDigest(clientOrderId);
    const order = (await this.orderBook()).find((o) => digestOfTag(o.tag) === digest);
    if (!order) return undefined;
    const tracked =
      this.byDigest.get(digest) ??
      this.track(clientOrderId, this.strategyOfTag(order.tag ?? ''), digest);
    tracked.brokerOrderId = order.orderId;
    const fills = order.filledQuantity > 0 ? await this.fillsOf(tracked, order.orderId) : [];
    return this.toBrokerOrder(tracked, order, fills);
  }

  async positions(): Promise<BrokerPosition[]> {
    const [book, net] = await Promise.all([
      this.orderBook(),
      this.read(() => this.options.venue.netPositions()),
    ]);
    return attributeVenuePositions(book, net, (tag) => this.strategyOfTag(tag));
  }

  /** A live broker matches orders itself: nothing to resume. */
  async adopt(_strategyIds: readonly string[]): Promise<void> {}

  release(strategyIds: readonly string[]): void {
    for (const [digest, t] of this.byDigest)
      if (strategyIds.includes(t.strategyId)) this.byDigest.delete(digest);
  }

  /** The session's token; refused by the broker, it counts as expired from the first refusal. */
  async tokens(): Promise<BrokerToken[]> {
    const expiresAt = this.options.token.expiresAt();
    return [
      {
        name: this.options.token.name,
        expiresAt: this.problem ? Math.min(expiresAt, this.problem.at) : expiresAt,
      },
    ];
  }

  async close(): Promise<void> {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async brokerOrderIdOf(clientOrderId: string): Promise<string | undefined> {
    const tracked = this.byDigest.get(orderDigest(clientOrderId));
    return tracked?.brokerOrderId ?? (await this.getOrder(clientOrderId))?.brokerOrderId;
  }

  private productOf(strategyId: string): 'INTRADAY' | 'DELIVERY' {
    return this.options.strategies[strategyId]?.product ?? 'INTRADAY';
  }

  private strategyOfTag(tag: string): string {
    return this.tags.strategyOf(tag);
  }

  private track(clientOrderId: string, strategyId: string, digest: string): Tracked {
    const tracked: Tracked = {
      clientOrderId,
      strategyId,
      fills: new Map(),
      final: false,
      chain: Promise.resolve(),
    };
    this.byDigest.set(digest, tracked);
    return tracked;
  }

  /** One call to the broker; records (and clears) the token problem. */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      const result = await send();
      if (this.problem)
        this.options.log.info(`${this.options.venue.label} accepts the access token again`);
      this.problem = undefined;
      return result;
    } catch (error) {
      if (error instanceof VenueError && error.kind === 'token' && !this.problem) {
        this.problem = { message: error.message, at: Date.now() };
        this.options.log.error(
          { err: error },
          `${this.options.venue.label} refused the access token: trading halts`,
        );
      }
      throw error;
    }
  }

  /** A read: repeated with backoff after a transient error. */
  private async read<T>(send: () => Promise<T>): Promise<T> {
    const retries = this.options.readRetries ?? 3;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.call(send);
      } catch (error) {
        const transient = !(error instanceof VenueError) || error.kind === 'transient';
        if (!transient || attempt >= retries) throw error;
        await sleep((this.options.readBackoffMs ?? 200) * 2 ** attempt);
      }
    }
  }

  private orderBook(): Promise<VenueOrder[]> {
    return this.read(() => this.options.venue.orderBook());
  }

  /** Every execution of the order, as fills of `tracked`. */
  private async fillsOf(tracked: Tracked, orderId: string): Promise<Fill[]> {
    const fills: VenueFill[] = await this.read(() => this.options.venue.fills(orderId));
    return fills.map((f) => ({
      brokerFillId: f.fillId,
      brokerOrderId: orderId,
      clientOrderId: tracked.clientOrderId,
      quantity: f.quantity,
      price: f.price,
      filledAt: f.filledAt,
    }));
  }

  private toBrokerOrder(tracked: Tracked, o: VenueOrder, fills: readonly Fill[]): BrokerOrder {
    return {
      brokerOrderId: o.orderId,
      clientOrderId: tracked.clientOrderId,
      strategyId: tracked.strategyId,
      symbol: o.symbol,
      side: o.side,
      quantity: o.quantity,
      status: o.status,
      filledQuantity: o.filledQuantity,
      reason:
        o.status === 'CANCELLED' || o.status === 'REJECTED'
          ? `${o.venueStatus}: ${o.statusMessage || `no message from ${this.options.venue.label}`}`
          : undefined,
      fills,
    };
  }

  private onUpdate(raw: unknown): void {
    let order: VenueOrder;
    try {
      order = this.options.venue.parseUpdate(raw);
    } catch (err) {
      this.counters.malformedOrderUpdates += 1;
      this.options.log.warn(
        { raw, err },
        `malformed ${this.options.venue.label} order update ignored`,
      );
      return;
    }
    const digest = digestOfTag(order.tag);
    const tracked = digest === undefined ? undefined : this.byDigest.get(digest);
    if (!tracked) {
      this.counters.unknownOrderUpdates += 1;
      this.options.log.warn(
        { orderId: order.orderId, tag: order.tag, status: order.venueStatus, symbol: order.symbol },
        `${this.options.venue.label} order update for an order this task never sent: ignored`,
      );
      return;
    }
    void this.settle(tracked, order);
  }

  /** Applies the broker's view of one order: new fills first, then its close. One at a time. */
  private settle(tracked: Tracked, order: VenueOrder): Promise<void> {
    tracked.chain = tracked.chain
      .then(async () => {
        tracked.brokerOrderId = order.orderId;
        const known = [...tracked.fills.values()].reduce((n, f) => n + f.quantity, 0);
        if (order.filledQuantity > known) {
          for (const fill of await this.fillsOf(tracked, order.orderId)) {
            if (tracked.fills.has(fill.brokerFillId)) continue;
            tracked.fills.set(fill.brokerFillId, fill);
            const snapshot = this.toBrokerOrder(tracked, order, [fill]);
            for (const l of this.fillListeners) l(fill, snapshot);
          }
        }
        if (order.status === 'OPEN' || tracked.final) return;
        tracked.final = true;
        if (order.status === 'FILLED') return;
        const closed = this.toBrokerOrder(tracked, order, [...tracked.fills.values()]);
        for (const l of this.closedListeners) l(closed);
      })
      .catch((err: unknown) =>
        this.options.log.warn(
          { err, clientOrderId: tracked.clientOrderId },
          `applying a ${this.options.venue.label} order update failed; the next poll retries`,
        ),
      );
    return tracked.chain;
  }

  /** Reads the order book and settles every working order of ours in it. */
  private async poll(): Promise<void> {
    const working = [...this.byDigest.entries()].filter(([, t]) => !t.final);
    if (working.length === 0) return;
    let book: VenueOrder[];
    try {
      book = await this.orderBook();
    } catch (err) {
      this.options.log.warn(
        { err },
        `${this.options.venue.label} order book poll failed; the next poll retries`,
      );
      return;
    }
    const byDigest = new Map(working);
    await Promise.all(
      book.map((o) => {
        const t = byDigest.get(digestOfTag(o.tag) ?? '');
        return t ? this.settle(t, o) : undefined;
      }),
    );
  }
}
