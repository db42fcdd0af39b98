import { KiteConnect } from 'kiteconnect';
import type { Logger } from 'pino';
import type { Fill, Order } from '../../domain';
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
} from '../broker';
import { AlgoTags, type BrokerStrategies, digestOfTag, orderDigest } from '../order-tag';
import { KiteCalls } from './kite-calls';
import { KiteInstruments } from './kite-instruments';
import { KiteOrderTracker } from './kite-order-tracker';
import { attributePositions } from './kite-positions';
import type { KiteTickerConnection } from './kite-ticker-connection';
import {
  isTransient,
  KiteApiError,
  KiteEquityMarginsSchema,
  KitePlaceResponseSchema,
  KitePositionsSchema,
  parseKite,
} from './kite-wire';

export interface KiteBrokerOptions {
  readonly apiKey: string;
  /** The app's secret: order updates are signed with it (checked before use). */
  readonly apiSecret: string;
  /** Read before every call: a token renewed in Secrets Manager is used at once. */
  readonly accessToken: () => string;
  /** The token's name and expiry, for the token check. */
  readonly token: { readonly name: string; readonly expiresAt: () => number };
  /** @default https://api.kite.trade (tests: the simulator) */
  readonly root?: string;
  /** The SDK's per-request timeout; below the breaker's 5 s so the SDK answers first. @default 4000 */
  readonly timeoutMs?: number;
  /** Per-strategy product (INTRADAY is MIS, DELIVERY CNC), parsed at config load. */
  readonly strategies: BrokerStrategies;
  /** Algo ID -> strategy id of the configured strategies and the manual orders (tag lookups). */
  readonly algoStrategies: ReadonlyMap<string, string>;
  /** The ticker carrying order updates (shared with `KiteFeed`; its owner closes it). */
  readonly ticker: KiteTickerConnection;
  /** The order book is read this often while orders of ours are working. @default 2000 */
  readonly pollMs?: number;
  /** Extra attempts of a read after a 429, NetworkException or 5xx. @default 3 */
  readonly readRetries?: number;
  /** @default 200, doubled per attempt */
  readonly readBackoffMs?: number;
  /**
   * The share of an MIS entry's value Zerodha blocks (its intraday leverage; 0.2 is 5x). CNC and
   * NRML block the whole value. @default 0.2
   */
  readonly misMarginRate?: number;
  readonly log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/**
 * Zerodha Kite Connect v3 behind the `Broker` interface, on the official SDK. Every order carries
 * the tag `prefix + digest(clientOrderId)`, so a lookup by client order id finds it in the day's
 * order book even after a restart, and a placement is never repeated: a second submit of a client
 * order id already sent is answered by the lookup. Calls go through `KiteCalls` (token problem,
 * read retries); order updates and the order-book poll through `KiteOrderTracker`.
 */
export class KiteBroker implements Broker {
  readonly name = 'kite';
  readonly instruments: KiteInstruments;
  private readonly calls: KiteCalls;
  private readonly orders: KiteOrderTracker;
  private readonly tags: AlgoTags;
  private pollTimer?: NodeJS.Timeout;

  constructor(private readonly options: KiteBrokerOptions) {
    const kite = new KiteConnect({
      api_key: options.apiKey,
      root: options.root,
      timeout: options.timeoutMs ?? 4000,
    });
    this.calls = new KiteCalls(kite, options);
    this.orders = new KiteOrderTracker(this.calls, options);
    this.instruments = new KiteInstruments({
      getInstruments: (exchange) => this.calls.read(() => kite.getInstruments(exchange)),
      getQuote: (instruments) => this.calls.read(() => kite.getQuote(instruments)),
    });
    this.tags = new AlgoTags('kite', options.algoStrategies);
  }

  /** Order updates dropped: for orders never sent, malformed, or with a wrong checksum. */
  get counters(): KiteOrderTracker['counters'] {
    return this.orders.counters;
  }

  /** Loads the instruments and listens to the ticker; the ticker's owner starts it. */
  async start(): Promise<void> {
    this.options.ticker.onOrderUpdate((raw) => this.orders.onUpdate(raw));
    this.options.ticker.onConnect((reconnect) => {
      if (reconnect) void this.orders.poll();
    });
    await this.instruments.load();
    this.pollTimer = setInterval(() => void this.orders.poll(), this.options.pollMs ?? 2000);
  }

  connected(): boolean {
    return this.options.ticker.connected();
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
    const digest = orderDigest(order.clientOrderId);
    if (this.orders.has(digest)) {
      // Sent before (its answer may have been lost): the order book decides, nothing is re-sent.
      const found = await this.getOrder(order.clientOrderId);
      if (found) return { brokerOrderId: found.brokerOrderId };
      throw new Error(`${order.clientOrderId} was sent before and is not in Kite's order book yet`);
    }
    const problem = this.tokenProblem();
    if (problem) throw new BrokerRejectedError(`not sent: ${problem}`);
    const tag = this.tags.tagOf(order);
    await this.instruments.load();
    if (!this.instruments.bySymbolName(order.symbol))
      throw new BrokerRejectedError(`${order.symbol} is not in Kite's NSE instrument list`);
    const tracked = this.orders.track(order.clientOrderId, order.strategyId, digest);
    const { kite } = this.calls;
    try {
      const raw = await through(() =>
        this.calls.call(() =>
          kite.placeOrder('regular', {
            exchange: 'NSE',
            tradingsymbol: order.symbol,
            transaction_type: order.side,
            quantity: order.quantity,
            product: this.productOf(order.strategyId),
            order_type: order.type,
            validity: 'DAY',
            // Only the prices the type takes (checked against it before the order was recorded).
            ...(order.limitPrice === undefined ? {} : { price: order.limitPrice }),
            ...(order.triggerPrice === undefined ? {} : { trigger_price: order.triggerPrice }),
            tag,
          }),
        ),
      );
      tracked.brokerOrderId = parseKite(KitePlaceResponseSchema, raw, 'order placement').order_id;
      return { brokerOrderId: tracked.brokerOrderId };
    } catch (error) {
      if (error instanceof KiteApiError && !isTransient(error)) {
        // Kite refused it outright: no order exists, the client order id may be used again.
        this.orders.forget(digest);
        throw new BrokerRejectedError(error.message);
      }
      throw error;
    }
  }

  /** Changes a working order's quantity, limit or trigger price (Kite's modify). */
  async modify(
    clientOrderId: string,
    changes: OrderChanges,
    through: SendThrough = sendDirectly,
  ): Promise<void> {
    const id = await this.brokerOrderIdOf(clientOrderId);
    if (!id) throw new BrokerRejectedError(`${clientOrderId} is not at Kite`);
    const { kite } = this.calls;
    try {
      await through(() =>
        this.calls.call(() =>
          kite.modifyOrder('regular', id, {
            quantity: changes.quantity,
            price: changes.limitPrice,
            trigger_price: changes.triggerPrice,
          }),
        ),
      );
    } catch (error) {
      if (error instanceof KiteApiError && !isTransient(error))
        throw new BrokerRejectedError(error.message);
      throw error;
    }
  }

  async cancel(clientOrderId: string, through: SendThrough = sendDirectly): Promise<void> {
    const id = await this.brokerOrderIdOf(clientOrderId);
    if (!id) return;
    const { kite } = this.calls;
    try {
      await through(() => this.calls.call(() => kite.cancelOrder('regular', id)));
    } catch (error) {
      // Kite refuses to cancel a completed order: a moot cancel, not a failure.
      const now = error instanceof KiteApiError ? await this.getOrder(clientOrderId) : undefined;
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
      this.orders.track(clientOrderId, this.strategyOfTag(order.tag ?? ''), digest);
    tracked.brokerOrderId = order.order_id;
    const fills =
      order.filled_quantity > 0 ? await this.orders.trades(tracked, order.order_id) : [];
    return this.orders.toBrokerOrder(tracked, order, fills);
  }

  /**
   * Per strategy and symbol from the tagged orders' fills; what Kite's net NSE position holds
   * beyond them (opened behind our back) is reported under the strategy "unattributed".
   */
  async positions(): Promise<BrokerPosition[]> {
    const [book, rawPositions] = await Promise.all([
      this.orders.orderBook(),
      this.calls.read(() => this.calls.kite.getPositions()),
    ]);
    const net = parseKite(KitePositionsSchema, rawPositions, 'positions').net;
    return attributePositions(book, net, (tag) => this.strategyOfTag(tag));
  }

  /** The equity segment's available margin (`net` of /user/margins/equity). */
  async margin(): Promise<BrokerMargin> {
    const raw = await this.calls.read(() => this.calls.kite.getMargins('equity'));
    return { availableInr: parseKite(KiteEquityMarginsSchema, raw, 'equity margins').net };
  }

  marginRate(strategyId: string): number {
    return this.productOf(strategyId) === 'MIS' ? (this.options.misMarginRate ?? 0.2) : 1;
  }

  /** Today's circuit limits of `symbols`, from Kite's quotes. */
  priceBands(symbols: readonly string[]): Promise<ReadonlyMap<string, PriceBand>> {
    return this.instruments.circuitLimits(symbols);
  }

  /** Kite matches orders itself: nothing to resume. */
  async adopt(_strategyIds: readonly string[]): Promise<void> {}

  release(strategyIds: readonly string[]): void {
    this.orders.release(strategyIds);
  }

  /** The session's token; refused by Kite, it counts as expired from the first refusal. */
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

  private async brokerOrderIdOf(clientOrderId: string): Promise<string | undefined> {
    const tracked = this.orders.get(orderDigest(clientOrderId));
    return tracked?.brokerOrderId ?? (await this.getOrder(clientOrderId))?.brokerOrderId;
  }

  private productOf(strategyId: string): 'MIS' | 'CNC' {
    return this.options.strategies[strategyId]?.product === 'DELIVERY' ? 'CNC' : 'MIS';
  }

  private strategyOfTag(tag: string): string {
    return this.tags.strategyOf(tag);
  }
}
