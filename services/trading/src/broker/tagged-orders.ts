import type { Logger } from 'pino';
import type { Fill } from '../domain';
import type { BrokerOrder } from './broker';
import { digestOfTag } from './order-tag';
import { type TaggedVenue, UnverifiedUpdateError, type VenueOrder } from './tagged-venue';
import type { VenueCalls } from './venue-calls';

/** One order of ours at the broker, as far as this task knows it. */
export interface Tracked {
  readonly clientOrderId: string;
  readonly strategyId: string;
  brokerOrderId?: string;
  readonly fills: Map<string, Fill>;
  final: boolean;
  chain: Promise<void>;
}

/**
 * Our orders at a tagged venue and their events: stream updates and the order book (polled while
 * orders work, and after every reconnect) both become fills (the venue's fill ids) and
 * closed-order events, each applied once and in order per order. An update that is malformed,
 * fails the venue's signature check, or is for an order this task never sent is counted, logged
 * and dropped; the poll still reads the truth from the order book, so a dropped update loses
 * nothing.
 */
export class TaggedOrders {
  private readonly byDigest = new Map<string, Tracked>();
  private readonly fillListeners: Array<(fill: Fill, order: BrokerOrder) => void> = [];
  private readonly closedListeners: Array<(order: BrokerOrder) => void> = [];
  /** Updates for orders this task never sent; malformed ones; ones whose signature is wrong. */
  readonly counters = { unknownOrderUpdates: 0, malformedOrderUpdates: 0, unsignedOrderUpdates: 0 };

  constructor(
    private readonly venue: TaggedVenue,
    private readonly calls: VenueCalls,
    private readonly log: Pick<Logger, 'warn'>,
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

  orderBook(): Promise<VenueOrder[]> {
    return this.calls.read(() => this.venue.orderBook());
  }

  /** Every execution of the order, as fills of `tracked`. */
  async fillsOf(tracked: Tracked, orderId: string): Promise<Fill[]> {
    const fills = await this.calls.read(() => this.venue.fills(orderId));
    return fills.map((f) => ({
      brokerFillId: f.fillId,
      brokerOrderId: orderId,
      clientOrderId: tracked.clientOrderId,
      quantity: f.quantity,
      price: f.price,
      filledAt: f.filledAt,
    }));
  }

  toBrokerOrder(tracked: Tracked, o: VenueOrder, fills: readonly Fill[]): BrokerOrder {
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
          ? `${o.venueStatus}: ${o.statusMessage || `no message from ${this.venue.label}`}`
          : undefined,
      fills,
    };
  }

  /** An order-stream payload (raw): checked, then applied to the order it names. */
  onUpdate(raw: unknown): void {
    const label = this.venue.label;
    let order: VenueOrder;
    try {
      order = this.venue.parseUpdate(raw);
    } catch (err) {
      if (err instanceof UnverifiedUpdateError) {
        this.counters.unsignedOrderUpdates += 1;
        this.log.warn(
          err.detail,
          `${label} order update with a wrong checksum dropped; the order book poll reads the order's state`,
        );
        void this.poll();
        return;
      }
      this.counters.malformedOrderUpdates += 1;
      this.log.warn({ raw, err }, `malformed ${label} order update ignored`);
      return;
    }
    const digest = digestOfTag(order.tag);
    const tracked = digest === undefined ? undefined : this.byDigest.get(digest);
    if (!tracked) {
      this.counters.unknownOrderUpdates += 1;
      this.log.warn(
        { orderId: order.orderId, tag: order.tag, status: order.venueStatus, symbol: order.symbol },
        `${label} order update for an order this task never sent: ignored`,
      );
      return;
    }
    void this.settle(tracked, order);
  }

  /** Applies the venue's view of one order: new fills first, then its close. One at a time. */
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
        this.log.warn(
          { err, clientOrderId: tracked.clientOrderId },
          `applying a ${this.venue.label} order update failed; the next poll retries`,
        ),
      );
    return tracked.chain;
  }

  /** Reads the order book and settles every working order of ours in it. */
  async poll(): Promise<void> {
    const working = [...this.byDigest.entries()].filter(([, t]) => !t.final);
    if (working.length === 0) return;
    let book: VenueOrder[];
    try {
      book = await this.orderBook();
    } catch (err) {
      this.log.warn({ err }, `${this.venue.label} order book poll failed; the next poll retries`);
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
