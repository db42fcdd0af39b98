import type { Logger } from 'pino';
import { BatchWriter } from '../../../common/batch-writer';
import { retry } from '../../../common/retry';
import type { BrokerOrder } from '../broker/broker';
import type { Fill, Order, OrderStatus } from '../domain';
import { algoLabel, type Metrics } from '../metrics/metrics';
import type { OrderBook } from './order-book';
import type { FillRecord, OrderRepository } from './order-repository';
import type { Portfolio } from './portfolio';

/** A write of the book that the broker can give back: an acknowledgement or a fill. */
type BookWrite =
  | { readonly kind: 'ack'; readonly ack: { orderId: string; brokerOrderId: string } }
  | { readonly kind: 'fill'; readonly fill: FillRecord };

/** What applying fills and status changes needs. */
export interface OrderUpdatesDeps {
  readonly repo: OrderRepository;
  readonly portfolio: Portfolio;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/**
 * The fill path: applies what happens to an order after it is sent (fills, acknowledgements,
 * closes at the broker, cancels) to the book, the portfolio and the database. Fills and status
 * writes run one at a time, in the order they happened, each fill exactly once per broker fill
 * id; acknowledgements and fills are written in batches.
 */
export class OrderUpdates {
  /** Broker fill ids applied, per client order id of a working order. */
  private readonly appliedFills = new Map<string, Set<string>>();
  /** Status writes, one at a time, in the order they happened. */
  private chain: Promise<void> = Promise.resolve();
  /**
   * Acknowledgements and fills with their orders and positions, written in batches (the broker
   * holds them too), one batch at a time: a batch's acknowledgements before its fills, so an
   * order's NEW -> ACK is written before the fill that follows it, whichever arrived first.
   */
  private readonly writes: BatchWriter<BookWrite>;

  constructor(
    private readonly book: OrderBook,
    private readonly deps: OrderUpdatesDeps,
  ) {
    this.writes = new BatchWriter<BookWrite>({
      flush: async (items) => {
        const fills = items.flatMap((w) => (w.kind === 'fill' ? [w.fill] : []));
        // An order acknowledged and filled within one batch is written once: the fill's write
        // carries the broker's order id, and the database records the acknowledgement as an
        // event of its own (migration 0016).
        const filled = new Set(
          fills.flatMap((f) =>
            f.order.status === 'PARTIAL' || f.order.status === 'FILLED' ? [f.order.id] : [],
          ),
        );
        const acks = items.flatMap((w) =>
          w.kind === 'ack' && !filled.has(w.ack.orderId) ? [w.ack] : [],
        );
        const options = { attempts: 3, baseDelayMs: 50 };
        // The fills are tried even when the acknowledgements could not be written.
        const failed: unknown[] = [];
        if (acks.length > 0)
          await retry(() => deps.repo.ackOrders(acks), options).catch((e) => failed.push(e));
        if (fills.length > 0)
          await retry(() => deps.repo.recordFills(fills), options).catch((e) => failed.push(e));
        if (failed.length > 0) throw failed[0];
      },
      // Off the order's path: under load, tens of orders per statement (each is planned for its
      // own batch), and most acknowledgements written with their fills; at most this far behind
      // the broker.
      maxDelayMs: 50,
      onError: (err, items) =>
        deps.log.error(
          { err, count: items.length },
          'writing acknowledgements and fills failed; reconciliation on take-over repairs it',
        ),
    });
  }

  /**
   * Queues the write of an acknowledgement. Only NEW -> ACK, so a fill recorded first is never
   * overwritten; not awaited by callers: the broker holds the acknowledgement, and
   * reconciliation rebuilds a lost write.
   */
  acknowledged(orderId: string, brokerOrderId: string): void {
    this.writes.add({ kind: 'ack', ack: { orderId, brokerOrderId } });
  }

  /** The broker fill ids already recorded for an order taken over from the database. */
  knownFills(clientOrderId: string, brokerFillIds: readonly string[]): void {
    this.appliedFills.set(clientOrderId, new Set(brokerFillIds));
  }

  /** A fill event from the broker: applied after everything queued before it. */
  enqueueFill(fill: Fill): void {
    void this.serial(() => this.applyFill(fill)).catch((error: unknown) =>
      this.deps.log.error(
        { err: error, fill },
        'applying a fill failed; reconciliation will repeat it',
      ),
    );
  }

  /**
   * Records a cancel the broker took: CANCELLED, unless the order filled. A cancel can answer
   * without cancelling anything: the door drops one whose order closed while it waited for its
   * rate slot, and a venue answers the cancel of a filled order without effect. Marked at once (an
   * order not yet sent must not go out), but left working until the fills received before the
   * answer are applied: one that completes the order makes it FILLED (`applyFill`), and then
   * CANCELLED is not written, so our books say what the venue says.
   */
  async recordCancelled(o: Order, reason: string): Promise<boolean> {
    if (o.status === 'FILLED' || o.status === 'REJECTED') return false;
    o.status = 'CANCELLED';
    o.statusReason = reason;
    return this.serial(async () => {
      if (o.status !== 'CANCELLED') return false;
      this.book.retire(o);
      await this.writes.drain();
      await this.deps.repo.setStatus(o.id, 'CANCELLED', { reason });
      return true;
    });
  }

  /** Resolves when every fill, acknowledgement and status write received so far is done. */
  async drain(): Promise<void> {
    await this.chain;
    await this.writes.drain();
  }

  /** A status change, written after the fills queued before it: a late fill never undoes it. */
  writeStatus(orderId: string, status: OrderStatus, reason?: string): Promise<void> {
    return this.serial(async () => {
      await this.writes.drain();
      await this.deps.repo.setStatus(orderId, status, { reason });
    });
  }

  /** Runs `fn` after every fill and status write queued before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.chain.then(fn);
    this.chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Applies one fill once; returns whether it was new. */
  async applyFill(fill: Fill): Promise<boolean> {
    const { deps } = this;
    let order = this.book.get(fill.clientOrderId);
    if (!order) {
      order = await deps.repo.byClientOrderId(fill.clientOrderId);
      if (!order) {
        deps.log.error({ fill }, 'fill for an order we have no record of');
        return false;
      }
      this.appliedFills.set(order.clientOrderId, new Set(await deps.repo.fillIds(order.id)));
    }
    const applied = this.appliedFills.get(order.clientOrderId) ?? new Set<string>();
    if (applied.has(fill.brokerFillId)) return false;
    applied.add(fill.brokerFillId);
    this.appliedFills.set(order.clientOrderId, applied);

    const effect = deps.portfolio.applyFill(
      order.strategyId,
      order.symbol,
      order.side,
      fill.quantity,
      fill.price,
      order.reduceOnly ? undefined : order.stopPrice,
    );
    const filled = order.filledQuantity + fill.quantity;
    order.avgFillPrice =
      ((order.avgFillPrice ?? 0) * order.filledQuantity + fill.price * fill.quantity) / filled;
    order.filledQuantity = filled;
    // A fill that was on its way when the order was cancelled does not reopen it; one that
    // completes it means the cancel came too late (the venue cannot cancel a filled order).
    if (filled >= order.quantity) order.status = 'FILLED';
    else if (order.status !== 'CANCELLED' && order.status !== 'REJECTED') order.status = 'PARTIAL';
    order.brokerOrderId ??= fill.brokerOrderId;
    if (order.status !== 'PARTIAL') {
      this.book.retire(order);
      this.appliedFills.delete(order.clientOrderId);
    }
    deps.metrics.inc('algo_fills_total', { algo: algoLabel(order.algoId) });
    this.writes.add({
      kind: 'fill',
      fill: {
        fill,
        order: { ...order },
        realizedPnl: effect.realizedPnl,
        closesPosition: effect.closesPosition,
        position: effect.position,
      },
    });
    return true;
  }

  /**
   * An order the broker reports CANCELLED or REJECTED: retired and written, unless this task is
   * cancelling it (the cancel records it) or it filled.
   */
  async closedAtBroker(atBroker: BrokerOrder, known?: Order): Promise<void> {
    const status = atBroker.status;
    if (status !== 'CANCELLED' && status !== 'REJECTED') return;
    if (this.book.isCancelling(atBroker.clientOrderId)) return;
    const order = known ?? this.book.get(atBroker.clientOrderId);
    if (!order || order.status === 'FILLED') return;
    this.book.retire(order);
    order.status = status;
    order.statusReason = atBroker.reason;
    await this.writeStatus(order.id, status, atBroker.reason);
  }
}
