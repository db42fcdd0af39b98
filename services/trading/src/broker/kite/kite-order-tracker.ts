import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Fill } from '../../domain';
import type { BrokerOrder } from '../broker';
import { digestOfTag } from '../order-tag';
import type { KiteCalls } from './kite-calls';
import {
  brokerStatus,
  type KiteOrder,
  KiteOrderSchema,
  KiteTradeSchema,
  kiteTime,
  parseKite,
} from './kite-wire';

/** One order of ours at Kite, as far as this task knows it. */
export interface Tracked {
  readonly clientOrderId: string;
  readonly strategyId: string;
  brokerOrderId?: string;
  readonly fills: Map<string, Fill>;
  final: boolean;
  chain: Promise<void>;
}

export interface KiteOrderTrackerOptions {
  /** The app's secret: Kite signs every order update with it (`checksum`). */
  readonly apiSecret: string;
  readonly log: Pick<Logger, 'warn'>;
}

/**
 * Whether an order update carries Kite's signature: `checksum` = SHA-256(order_id +
 * order_timestamp + api_secret), as the ticker and postbacks send it (the timestamp as text).
 */
export function orderUpdateSigned(raw: unknown, apiSecret: string): boolean {
  const u = raw as { order_id?: unknown; order_timestamp?: unknown; checksum?: unknown } | null;
  if (
    typeof u?.order_id !== 'string' ||
    typeof u.order_timestamp !== 'string' ||
    typeof u.checksum !== 'string'
  )
    return false;
  const expected = createHash('sha256')
    .update(u.order_id + u.order_timestamp + apiSecret)
    .digest();
  const given = Buffer.from(u.checksum, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Our orders at Kite and their events: order updates from the ticker (signed by Kite, checked)
 * and the order book, polled while orders work, both become fills (Kite's trade ids) and
 * closed-order events, each applied once and in order per order. An update that is malformed,
 * unsigned or for an order this task never sent is counted, logged and dropped; the poll still
 * reads the truth from the order book, so a dropped update loses nothing.
 */
export class KiteOrderTracker {
  private readonly byDigest = new Map<string, Tracked>();
  private readonly fillListeners: Array<(fill: Fill, order: BrokerOrder) => void> = [];
  private readonly closedListeners: Array<(order: BrokerOrder) => void> = [];
  /** Updates for orders this task never sent; malformed ones; ones whose checksum is wrong. */
  readonly counters = { unknownOrderUpdates: 0, malformedOrderUpdates: 0, unsignedOrderUpdates: 0 };

  constructor(
    private readonly calls: KiteCalls,
    private readonly options: KiteOrderTrackerOptions,
  ) {}

  onFill(listener: (fill: Fill, order: BrokerOrder) => void): void {
    this.fillListeners.push(listener);
  }

  onOrderClosed(listener: (order: BrokerOrder) => void): void {
    this.closedListeners.push(listener);
  }

  get(digest: string): Tracked | undefined {
    return this.byDigest.get(digest);
  }

  has(digest: string): boolean {
    return this.byDigest.has(digest);
  }

  forget(digest: string): void {
    this.byDigest.delete(digest);
  }

  track(clientOrderId: string, strategyId: string, digest: string): Tracked {
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

  /** Stops tracking the orders of these strategies (another task takes them over). */
  release(strategyIds: readonly string[]): void {
    for (const [digest, t] of this.byDigest)
      if (strategyIds.includes(t.strategyId)) this.byDigest.delete(digest);
  }

  async orderBook(): Promise<KiteOrder[]> {
    const raw = await this.calls.read(() => this.calls.kite.getOrders());
    return parseKite(KiteOrderSchema.array(), raw, 'order book');
  }

  /** Every execution of the order (Kite's trade ids). */
  async trades(tracked: Tracked, orderId: string): Promise<Fill[]> {
    const raw = await this.calls.read(() => this.calls.kite.getOrderTrades(orderId));
    return parseKite(KiteTradeSchema.array(), raw, 'trades').map((t) => ({
      brokerFillId: t.trade_id,
      brokerOrderId: orderId,
      clientOrderId: tracked.clientOrderId,
      quantity: t.quantity,
      price: t.average_price,
      filledAt: kiteTime(t.fill_timestamp, Date.now()),
    }));
  }

  toBrokerOrder(tracked: Tracked, o: KiteOrder, fills: readonly Fill[]): BrokerOrder {
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

  /** A ticker order update (raw): checked, then applied to the order it names. */
  onUpdate(raw: unknown): void {
    const parsed = KiteOrderSchema.safeParse(raw);
    if (!parsed.success) {
      this.counters.malformedOrderUpdates += 1;
      this.options.log.warn(
        { raw, issues: parsed.error.issues },
        'malformed Kite order update ignored',
      );
      return;
    }
    const { order_id, tag, status, tradingsymbol } = parsed.data;
    if (!orderUpdateSigned(raw, this.options.apiSecret)) {
      this.counters.unsignedOrderUpdates += 1;
      this.options.log.warn(
        { orderId: order_id, tag, status, symbol: tradingsymbol },
        "Kite order update with a wrong checksum dropped; the order book poll reads the order's state",
      );
      void this.poll();
      return;
    }
    const digest = digestOfTag(tag);
    const tracked = digest === undefined ? undefined : this.byDigest.get(digest);
    if (!tracked) {
      this.counters.unknownOrderUpdates += 1;
      this.options.log.warn(
        { orderId: order_id, tag, status, symbol: tradingsymbol },
        'Kite order update for an order this task never sent: ignored',
      );
      return;
    }
    void this.settle(tracked, parsed.data);
  }

  /** Applies Kite's view of one order: new fills first, then its close. One at a time per order. */
  settle(tracked: Tracked, order: KiteOrder): Promise<void> {
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

  /** Reads the order book and settles every working order of ours in it. */
  async poll(): Promise<void> {
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
