import { type Connect, KiteConnect } from 'kiteconnect';
import type { Logger } from 'pino';
import type { Fill, Order } from '../../domain';
import {
  type Broker,
  type BrokerMargin,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRejectedError,
  type BrokerToken,
  type SendThrough,
  sendDirectly,
} from '../broker';
import { KiteInstruments } from './kite-instruments';
import { attributePositions } from './kite-positions';
import {
  defaultTagPrefix,
  digestOfTag,
  type KiteStrategies,
  kiteTag,
  orderDigest,
  prefixOfTag,
} from './kite-tag';
import type { KiteTickerConnection } from './kite-ticker-connection';
import {
  brokerStatus,
  isTokenError,
  isTransient,
  KiteApiError,
  KiteEquityMarginsSchema,
  type KiteOrder,
  KiteOrderSchema,
  KitePlaceResponseSchema,
  KitePositionsSchema,
  KiteTradeSchema,
  kiteError,
  kiteTime,
  parseKite,
} from './kite-wire';

export interface KiteBrokerOptions {
  readonly apiKey: string;
  /** Read before every call: a token renewed in Secrets Manager is used at once. */
  readonly accessToken: () => string;
  /** The token's name and expiry, for the token check. */
  readonly token: { readonly name: string; readonly expiresAt: () => number };
  /** @default https://api.kite.trade (tests: the simulator) */
  readonly root?: string;
  /** The SDK's per-request timeout; below the breaker's 5 s so the SDK answers first. @default 4000 */
  readonly timeoutMs?: number;
  /** Per-strategy product and tag prefix, parsed with `KiteStrategiesSchema` at config load. */
  readonly strategies: KiteStrategies;
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

/** One order of ours at Kite, as far as this task knows it. */
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
 * Zerodha Kite Connect v3 behind the `Broker` interface, on the official SDK. Every order carries
 * the tag `prefix + digest(clientOrderId)`, so a lookup by client order id finds it in the day's
 * order book even after a restart, and a placement is never repeated: a second submit of a client
 * order id already sent is answered by the lookup. Order updates from the ticker (and the order
 * book, polled while orders work and after every reconnect) become fills (Kite's trade ids) and
 * closed-order events; an update for an order this task never sent is counted and logged.
 */
export class KiteBroker implements Broker {
  readonly name = 'kite';
  readonly instruments: KiteInstruments;
  private readonly kite: Connect;
  private readonly byDigest = new Map<string, Tracked>();
  private readonly strategyOfPrefix = new Map<string, string>();
  private readonly fillListeners: Array<(fill: Fill, order: BrokerOrder) => void> = [];
  private readonly closedListeners: Array<(order: BrokerOrder) => void> = [];
  private problem?: { message: string; at: number };
  private pollTimer?: NodeJS.Timeout;
  /** Order updates for orders this task never sent; malformed update payloads. */
  readonly counters = { unknownOrderUpdates: 0, malformedOrderUpdates: 0 };

  constructor(private readonly options: KiteBrokerOptions) {
    this.kite = new KiteConnect({
      api_key: options.apiKey,
      root: options.root,
      timeout: options.timeoutMs ?? 4000,
    });
    this.instruments = new KiteInstruments({
      getInstruments: (exchange) => this.read(() => this.kite.getInstruments(exchange)),
      getQuote: (instruments) => this.read(() => this.kite.getQuote(instruments)),
    });
    for (const [id, s] of Object.entries(options.strategies))
      this.strategyOfPrefix.set(s.tagPrefix ?? defaultTagPrefix(id), id);
  }

  /** Loads the instruments and listens to the ticker; the ticker's owner starts it. */
  async start(): Promise<void> {
    this.options.ticker.onOrderUpdate((raw) => this.onUpdate(raw));
    this.options.ticker.onConnect((reconnect) => {
      if (reconnect) void this.poll();
    });
    await this.instruments.load();
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollMs ?? 2000);
  }

  connected(): boolean {
    return this.options.ticker.connected();
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
    const digest = orderDigest(order.clientOrderId);
    if (this.byDigest.has(digest)) {
      // Sent before (its answer may have been lost): the order book decides, nothing is re-sent.
      const found = await this.getOrder(order.clientOrderId);
      if (found) return { brokerOrderId: found.brokerOrderId };
      throw new Error(`${order.clientOrderId} was sent before and is not in Kite's order book yet`);
    }
    if (this.problem) throw new BrokerRejectedError(`not sent: ${this.problem.message}`);
    await this.instruments.load();
    if (!this.instruments.bySymbolName(order.symbol))
      throw new BrokerRejectedError(`${order.symbol} is not in Kite's NSE instrument list`);
    const strategy = this.strategy(order.strategyId);
    const tracked = this.track(order.clientOrderId, order.strategyId, digest);
    try {
      const raw = await through(() =>
        this.call(() =>
          this.kite.placeOrder('regular', {
            exchange: 'NSE',
            tradingsymbol: order.symbol,
            transaction_type: order.side,
            quantity: order.quantity,
            product: strategy.product,
            order_type: order.type,
            validity: 'DAY',
            ...(order.type === 'LIMIT' ? { price: order.limitPrice } : {}),
            tag: kiteTag(strategy.prefix, order.clientOrderId),
          }),
        ),
      );
      tracked.brokerOrderId = parseKite(KitePlaceResponseSchema, raw, 'order placement').order_id;
      return { brokerOrderId: tracked.brokerOrderId };
    } catch (error) {
      if (error instanceof KiteApiError && !isTransient(error)) {
        // Kite refused it outright: no order exists, the client order id may be used again.
        this.byDigest.delete(digest);
        throw new BrokerRejectedError(error.message);
      }
      throw error;
    }
  }

  /** Changes a working order's quantity or limit price (Kite's modify). */
  async modify(
    clientOrderId: string,
    change: { quantity?: number; price?: number },
  ): Promise<void> {
    const id = (await this.getOrder(clientOrderId))?.brokerOrderId;
    if (!id) throw new BrokerRejectedError(`${clientOrderId} is not at Kite`);
    await this.call(() => this.kite.modifyOrder('regular', id, change));
  }

  async cancel(clientOrderId: string, through: SendThrough = sendDirectly): Promise<void> {
    const tracked = this.byDigest.get(orderDigest(clientOrderId));
    const id = tracked?.brokerOrderId ?? (await this.getOrder(clientOrderId))?.brokerOrderId;
    if (!id) return;
    try {
      await through(() => this.call(() => this.kite.cancelOrder('regular', id)));
    } catch (error) {
      // Kite refuses to cancel a completed order: a moot cancel, not a failure.
      const now = error instanceof KiteApiError ? await this.getOrder(clientOrderId) : undefined;
      if (now && now.status !== 'OPEN') return;
      throw error;
    }
    void this.refresh(clientOrderId);
  }

  async getOrder(clientOrderId: string): Promise<BrokerOrder | undefined> {
    const digest = orderDigest(clientOrderId);
    const order = (await this.orderBook()).find((o) => digestOfTag(o.tag) === digest);
    if (!order) return undefined;
    const tracked =
      this.byDigest.get(digest) ??
      this.track(clientOrderId, this.strategyOfTag(order.tag ?? ''), digest);
    tracked.brokerOrderId = order.order_id;
    const fills = order.filled_quantity > 0 ? await this.trades(tracked, order.order_id) : [];
    return this.toBrokerOrder(tracked, order, fills);
  }

  /**
   * Per strategy and symbol from the tagged orders' fills; what Kite's net NSE position holds
   * beyond them (opened behind our back) is reported under the strategy "unattributed".
   */
  async positions(): Promise<BrokerPosition[]> {
    const [book, rawPositions] = await Promise.all([
      this.orderBook(),
      this.read(() => this.kite.getPositions()),
    ]);
    const net = parseKite(KitePositionsSchema, rawPositions, 'positions').net;
    return attributePositions(book, net, (tag) => this.strategyOfTag(tag));
  }

  /** The equity segment's available margin (`net` of /user/margins/equity). */
  async margin(): Promise<BrokerMargin> {
    const raw = await this.read(() => this.kite.getMargins('equity'));
    return { availableInr: parseKite(KiteEquityMarginsSchema, raw, 'equity margins').net };
  }

  marginRate(strategyId: string): number {
    return this.strategy(strategyId).product === 'MIS' ? (this.options.misMarginRate ?? 0.2) : 1;
  }

  /** Kite matches orders itself: nothing to resume. */
  async adopt(_strategyIds: readonly string[]): Promise<void> {}

  release(strategyIds: readonly string[]): void {
    for (const [digest, t] of this.byDigest)
      if (strategyIds.includes(t.strategyId)) this.byDigest.delete(digest);
  }

  /** The session's token; refused by Kite, it counts as expired from the first refusal. */
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

  private strategy(strategyId: string): { product: 'MIS' | 'CNC' | 'NRML'; prefix: string } {
    const configured = this.options.strategies[strategyId];
    const prefix = configured?.tagPrefix ?? defaultTagPrefix(strategyId);
    if (!this.strategyOfPrefix.has(prefix)) this.strategyOfPrefix.set(prefix, strategyId);
    return { product: configured?.product ?? 'MIS', prefix };
  }

  private strategyOfTag(tag: string): string {
    const prefix = prefixOfTag(tag);
    return this.strategyOfPrefix.get(prefix) ?? `kite-tag:${prefix}`;
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

  /** One call to Kite; records (and clears) the token problem. */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    this.kite.setAccessToken(this.options.accessToken());
    try {
      const result = await send();
      if (this.problem) this.options.log.info('Kite accepts the access token again');
      this.problem = undefined;
      return result;
    } catch (raw) {
      const error = kiteError(raw);
      if (isTokenError(error) && !this.problem) {
        this.problem = { message: error.message, at: Date.now() };
        this.options.log.error({ err: error }, 'Kite refused the access token: trading halts');
      }
      throw error;
    }
  }

  /** A read: repeated with backoff after a 429, a NetworkException or a 5xx. */
  private async read<T>(send: () => Promise<T>): Promise<T> {
    const retries = this.options.readRetries ?? 3;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.call(send);
      } catch (error) {
        if (!isTransient(error) || attempt >= retries) throw error;
        await sleep((this.options.readBackoffMs ?? 200) * 2 ** attempt);
      }
    }
  }

  private async orderBook(): Promise<KiteOrder[]> {
    const raw = await this.read(() => this.kite.getOrders());
    return parseKite(KiteOrderSchema.array(), raw, 'order book');
  }

  /** Every execution of the order (Kite's trade ids), remembered in `tracked`. */
  private async trades(tracked: Tracked, orderId: string): Promise<Fill[]> {
    const raw = await this.read(() => this.kite.getOrderTrades(orderId));
    return parseKite(KiteTradeSchema.array(), raw, 'trades').map((t) => ({
      brokerFillId: t.trade_id,
      brokerOrderId: orderId,
      clientOrderId: tracked.clientOrderId,
      quantity: t.quantity,
      price: t.average_price,
      filledAt: kiteTime(t.fill_timestamp, Date.now()),
    }));
  }

  private toBrokerOrder(tracked: Tracked, o: KiteOrder, fills: readonly Fill[]): BrokerOrder {
    const status = brokerStatus(o.status);
    return {
      brokerOrderId: o.order_id,
      clientOrderId: tracked.clientOrderId,
      strategyId: tracked.strategyId,
      symbol: o.tradingsymbol,
      side: o.transaction_type,
      quantity: o.quantity,
      status,
      filledQuantity: o.filled_quantity,
      reason:
        status === 'CANCELLED' || status === 'REJECTED'
          ? `${o.status}: ${o.status_message ?? 'no message from Kite'}`
          : undefined,
      fills,
    };
  }

  private onUpdate(raw: unknown): void {
    const parsed = KiteOrderSchema.safeParse(raw);
    if (!parsed.success) {
      this.counters.malformedOrderUpdates += 1;
      this.options.log.warn(
        { raw, issues: parsed.error.issues },
        'malformed Kite order update ignored',
      );
      return;
    }
    const digest = digestOfTag(parsed.data.tag);
    const tracked = digest === undefined ? undefined : this.byDigest.get(digest);
    if (!tracked) {
      this.counters.unknownOrderUpdates += 1;
      const { order_id, tag, status, tradingsymbol } = parsed.data;
      this.options.log.warn(
        { orderId: order_id, tag, status, symbol: tradingsymbol },
        'Kite order update for an order this task never sent: ignored',
      );
      return;
    }
    this.settle(tracked, parsed.data);
  }

  /** Applies Kite's view of one order: new fills first, then its close. One at a time per order. */
  private settle(tracked: Tracked, order: KiteOrder): Promise<void> {
    tracked.chain = tracked.chain
      .then(async () => {
        tracked.brokerOrderId = order.order_id;
        const known = [...tracked.fills.values()].reduce((n, f) => n + f.quantity, 0);
        if (order.filled_quantity > known) {
          const fills = await this.trades(tracked, order.order_id);
          for (const fill of fills) {
            if (tracked.fills.has(fill.brokerFillId)) continue;
            tracked.fills.set(fill.brokerFillId, fill);
            const snapshot = this.toBrokerOrder(tracked, order, [fill]);
            for (const l of this.fillListeners) l(fill, snapshot);
          }
        }
        const status = brokerStatus(order.status);
        if (status === 'OPEN' || tracked.final) return;
        tracked.final = true;
        if (status === 'FILLED') return;
        const closed = this.toBrokerOrder(tracked, order, [...tracked.fills.values()]);
        for (const l of this.closedListeners) l(closed);
      })
      .catch((err: unknown) =>
        this.options.log.warn(
          { err, clientOrderId: tracked.clientOrderId },
          'applying a Kite order update failed; the next order-book poll retries',
        ),
      );
    return tracked.chain;
  }

  private async refresh(clientOrderId: string): Promise<void> {
    const tracked = this.byDigest.get(orderDigest(clientOrderId));
    if (!tracked) return;
    await this.poll();
  }

  /** Reads the order book and settles every working order of ours in it. */
  private async poll(): Promise<void> {
    const working = [...this.byDigest.entries()].filter(([, t]) => !t.final);
    if (working.length === 0) return;
    let book: KiteOrder[];
    try {
      book = await this.orderBook();
    } catch (err) {
      this.options.log.warn({ err }, 'Kite order book poll failed; the next poll retries');
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
