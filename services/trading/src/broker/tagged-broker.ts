import type { Logger } from 'pino';
import type { Fill, Order } from '../domain';
import {
  type Broker,
  type BrokerMargin,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRejectedError,
  type BrokerToken,
  type OrderChanges,
  type PriceBand,
  type SendThrough,
  sendDirectly,
} from './broker';
import { AlgoTags, type BrokerStrategies, digestOfTag, orderDigest } from './order-tag';
import { TaggedOrders } from './tagged-orders';
import {
  attributeVenuePositions,
  type OrderStream,
  type TaggedVenue,
  VenueError,
} from './tagged-venue';
import { VenueCalls } from './venue-calls';

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

/**
 * A live broker behind the `Broker` interface, over a `TaggedVenue` (its SDK) and an
 * `OrderStream` (its order-update socket): the one implementation of order tracking, lookup and
 * reconciliation for Kite, Upstox and Angel One. Every order carries the tag `algo ID +
 * digest(client order id)`, so a lookup by client order id finds it in the day's order book even
 * after a restart, and a placement is never repeated: a second submit of a client order id
 * already sent (its answer lost to a timeout) is answered by the lookup. Calls go through
 * `VenueCalls` (token problem, read retries); stream updates and the order-book poll through
 * `TaggedOrders`. The venue's margin and price bands, where it has them, are offered as the
 * broker's optional capabilities.
 */
export class TaggedBroker implements Broker {
  readonly name: TaggedBrokerOptions['name'];
  readonly margin?: () => Promise<BrokerMargin>;
  readonly marginRate?: (strategyId: string) => number;
  readonly priceBands?: (symbols: readonly string[]) => Promise<ReadonlyMap<string, PriceBand>>;
  private readonly calls: VenueCalls;
  private readonly orders: TaggedOrders;
  private readonly tags: AlgoTags;
  private pollTimer?: NodeJS.Timeout;

  constructor(private readonly options: TaggedBrokerOptions) {
    const { venue } = options;
    this.name = options.name;
    this.calls = new VenueCalls({ ...options, label: venue.label });
    this.orders = new TaggedOrders(venue, this.calls, options.log);
    this.tags = new AlgoTags(options.name, options.algoStrategies);
    if (venue.margin && venue.marginRate) {
      const margin = venue.margin.bind(venue);
      const rate = venue.marginRate.bind(venue);
      this.margin = () => this.read(margin);
      this.marginRate = (strategyId) => rate(this.productOf(strategyId));
    }
    if (venue.priceBands) {
      const bands = venue.priceBands.bind(venue);
      this.priceBands = (symbols) => this.read(() => bands(symbols));
    }
  }

  /** Order updates dropped: for orders never sent, malformed, or with a wrong signature. */
  get counters(): TaggedOrders['counters'] {
    return this.orders.counters;
  }

  /** Listens to the order stream and starts the poll; the stream's owner starts the stream. */
  start(): void {
    this.options.stream.onOrderUpdate((raw) => this.orders.onUpdate(raw));
    this.options.stream.onConnect((reconnect) => {
      if (reconnect) void this.orders.poll();
    });
    this.pollTimer = setInterval(() => void this.orders.poll(), this.options.pollMs ?? 2000);
  }

  connected(): boolean {
    return this.options.stream.connected();
  }

  tokenProblem(): string | undefined {
    return this.calls.tokenProblem()?.message;
  }

  onFill(listener: (fill: Fill, order: BrokerOrder) => void): void {
    this.orders.onFill(listener);
  }

  onOrderClosed(listener: (order: BrokerOrder) => void): void {
    this.orders.onOrderClosed(listener);
  }

  async submit(
    order: Order,
    through: SendThrough = sendDirectly,
  ): Promise<{ brokerOrderId: string }> {
    const { venue } = this.options;
    const digest = orderDigest(order.clientOrderId);
    if (this.orders.get(digest)) {
      // Sent before (its answer may have been lost): the order book decides, nothing is re-sent.
      const found = await this.getOrder(order.clientOrderId);
      if (found) return { brokerOrderId: found.brokerOrderId };
      throw new Error(
        `${order.clientOrderId} was sent before and is not in ${venue.label}'s order book yet`,
      );
    }
    const problem = this.tokenProblem();
    if (problem) throw new BrokerRejectedError(`not sent: ${problem}`);
    const tag = this.tags.tagOf(order);
    if (!(await this.read(() => venue.knowsSymbol(order.symbol))))
      throw new BrokerRejectedError(
        `${order.symbol} is not in ${venue.label}'s NSE instrument list`,
      );
    const tracked = this.orders.track(order.clientOrderId, order.strategyId, digest);
    const product = this.productOf(order.strategyId);
    try {
      tracked.brokerOrderId = await through(() =>
        this.calls.call(() => venue.place({ order, product, tag })),
      );
      return { brokerOrderId: tracked.brokerOrderId };
    } catch (error) {
      if (error instanceof VenueError && error.kind !== 'transient') {
        // Refused outright: no order exists, the client order id may be used again.
        this.orders.forget(digest);
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
    const { venue } = this.options;
    const id = await this.brokerOrderIdOf(clientOrderId);
    if (!id) throw new BrokerRejectedError(`${clientOrderId} is not at ${venue.label}`);
    try {
      await through(() => this.calls.call(() => venue.modify(id, changes)));
    } catch (error) {
      if (error instanceof VenueError && error.kind === 'refused')
        throw new BrokerRejectedError(error.message);
      throw error;
    }
    void this.orders.poll();
  }

  async cancel(clientOrderId: string, through: SendThrough = sendDirectly): Promise<void> {
    const id = await this.brokerOrderIdOf(clientOrderId);
    if (!id) return;
    try {
      await through(() => this.calls.call(() => this.options.venue.cancel(id)));
    } catch (error) {
      // A broker refuses to cancel a completed order: a moot cancel, not a failure.
      const now = error instanceof VenueError ? await this.getOrder(clientOrderId) : undefined;
      if (now && now.status !== 'OPEN') return;
      throw error;
    }
    void this.orders.poll();
  }

  async getOrder(clientOrderId: string): Promise<BrokerOrder | undefined> {
    const digest = orderDigest(clientOrderId);
    const order = (await this.orders.orderBook()).find((o) => digestOfTag(o.tag) === digest);
    if (!order) return undefined;
    const tracked =
      this.orders.get(digest) ??
      this.orders.track(clientOrderId, this.tags.strategyOf(order.tag ?? ''), digest);
    tracked.brokerOrderId = order.orderId;
    const fills = order.filledQuantity > 0 ? await this.orders.fillsOf(tracked, order.orderId) : [];
    return this.orders.toBrokerOrder(tracked, order, fills);
  }

  /**
   * Per strategy and symbol from the tagged orders' fills; what the broker's net NSE position
   * holds beyond them (opened behind our back) is reported under the strategy "unattributed".
   */
  async positions(): Promise<BrokerPosition[]> {
    const [book, net] = await Promise.all([
      this.orders.orderBook(),
      this.read(() => this.options.venue.netPositions()),
    ]);
    return attributeVenuePositions(book, net, (tag) => this.tags.strategyOf(tag));
  }

  /** A live broker matches orders itself: nothing to resume. */
  async adopt(_strategyIds: readonly string[]): Promise<void> {}

  release(strategyIds: readonly string[]): void {
    this.orders.release(strategyIds);
  }

  /** The session's token; refused by the broker, it counts as expired from the first refusal. */
  async tokens(): Promise<BrokerToken[]> {
    const expiresAt = this.options.token.expiresAt();
    const problem = this.calls.tokenProblem();
    return [
      {
        name: this.options.token.name,
        expiresAt: problem ? Math.min(expiresAt, problem.at) : expiresAt,
      },
    ];
  }

  async close(): Promise<void> {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  /** A read of the venue: the token problem recorded, repeated after a transient error. */
  protected read<T>(send: () => Promise<T>): Promise<T> {
    return this.calls.read(send);
  }

  private async brokerOrderIdOf(clientOrderId: string): Promise<string | undefined> {
    const tracked = this.orders.get(orderDigest(clientOrderId));
    return tracked?.brokerOrderId ?? (await this.getOrder(clientOrderId))?.brokerOrderId;
  }

  private productOf(strategyId: string): 'INTRADAY' | 'DELIVERY' {
    return this.options.strategies[strategyId]?.product ?? 'INTRADAY';
  }
}
