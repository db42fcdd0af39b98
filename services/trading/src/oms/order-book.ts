import { isStopType, type Order } from '../domain';

/** How many finished orders are remembered for a repeated client order id. */
const FINISHED_MEMORY = 10_000;

/**
 * This task's orders in memory, by client order id: the working ones, the ones that finished
 * recently and the ones being cancelled. Submission, fills, cancels and reconciliation all move
 * orders through it; the orders themselves are shared objects, updated in place.
 */
export class OrderBook {
  private readonly working = new Map<string, Order>();
  /**
   * Orders that have left `working` (filled, cancelled, rejected), newest last: a repeat of their
   * client order id (a client retrying after a timeout) gets the order back, not a second one
   * or a duplicate-order refusal.
   */
  private readonly finished = new Map<string, Order>();
  /** Orders this manager is cancelling: their closed-order event is its own doing. */
  private readonly cancelling = new Set<string>();

  /** The working order with this client order id. */
  get(clientOrderId: string): Order | undefined {
    return this.working.get(clientOrderId);
  }

  /** The order with this client order id, working or recently finished. */
  known(clientOrderId: string): Order | undefined {
    return this.working.get(clientOrderId) ?? this.finished.get(clientOrderId);
  }

  /** Makes (or keeps) an order working. */
  track(order: Order): void {
    this.working.set(order.clientOrderId, order);
  }

  /** Drops a working order that never reached the broker; its id is not remembered. */
  untrack(order: Order): void {
    this.working.delete(order.clientOrderId);
  }

  /** An order leaves `working`; its client order id is remembered (the last 10,000). */
  retire(order: Order): void {
    this.working.delete(order.clientOrderId);
    this.finished.delete(order.clientOrderId);
    this.finished.set(order.clientOrderId, order);
    if (this.finished.size > FINISHED_MEMORY) {
      const oldest = this.finished.keys().next().value;
      if (oldest !== undefined) this.finished.delete(oldest);
    }
  }

  /** Forgets the working orders of a strategy this task no longer holds. */
  release(strategyId: string): void {
    for (const [id, o] of this.working) if (o.strategyId === strategyId) this.working.delete(id);
  }

  /** The working orders, as a copy (callers change the book while walking it). */
  workingOrders(): Order[] {
    return [...this.working.values()];
  }

  /**
   * What working reduce-only orders of the strategy in the symbol still have to fill;
   * `exceptStops` leaves out the stops (SL, SL-M) waiting at the broker.
   */
  workingReduceQuantity(strategyId: string, symbol: string, exceptStops = false): number {
    let total = 0;
    for (const o of this.working.values()) {
      if (!o.reduceOnly || o.strategyId !== strategyId || o.symbol !== symbol) continue;
      if (exceptStops && isStopType(o.type)) continue;
      total += o.quantity - o.filledQuantity;
    }
    return total;
  }

  /** Marks an order as being cancelled by this task, until `cancelDone`. */
  cancelStarted(clientOrderId: string): void {
    this.cancelling.add(clientOrderId);
  }

  /** The cancel of the order was answered (or failed). */
  cancelDone(clientOrderId: string): void {
    this.cancelling.delete(clientOrderId);
  }

  /** Whether this task is cancelling the order (its closed-order event is then not news). */
  isCancelling(clientOrderId: string): boolean {
    return this.cancelling.has(clientOrderId);
  }
}
