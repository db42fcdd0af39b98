import type { Logger } from 'pino';
import { messageOf } from '../../../common/errors';
import { timeOrderedUuid } from '../../../common/time-ordered-uuid';
import { BrokerRejectedError } from '../broker/broker';
import { OrderRateRefusedError, type RateLimitedBroker } from '../broker/rate-limited-broker';
import { isStopType, type Order, type OrderRequest, type Side, type TradingState } from '../domain';
import type { CircuitBreaker } from '../health/circuit-breaker';
import { DatabaseUnavailableError } from '../health/database-health';
import type { HeldLease, LeasePurpose } from '../leases/lease-manager';
import { algoLabel, type Metrics } from '../metrics/metrics';
import type { PreTradeRisk, RejectReason } from '../risk/pre-trade-risk';
import type { RiskEventWriter } from '../risk/risk-event-writer';
import { Flattener } from './flattener';
import { OrderBook } from './order-book';
import type { InsertOutcome } from './order-inserts';
import { OrderReconciliation } from './order-reconciliation';
import type { OrderRepository } from './order-repository';
import { OrderUpdates } from './order-updates';
import type { Portfolio } from './portfolio';

// The order manager's results are declared here, with its public methods, so that callers import
// them from one place; the parts that produce them (flattener, reconciliation) import them back.

/** Why `submit` refused an order (a risk rule, or the lease, broker or database). */
export type SubmitRejection =
  | RejectReason
  | 'NOT_LEASE_HOLDER'
  | 'LEASE_LOST'
  | 'BROKER_REJECTED'
  /** An entry while PostgreSQL is unreachable: it would not be durable before the broker. */
  | 'DATABASE_UNAVAILABLE';

/** What `submit` did with an order. */
export type SubmitResult =
  | { readonly outcome: 'ACCEPTED'; readonly order: Order }
  /** The client order id was seen before: this is that order, nothing new was sent. */
  | { readonly outcome: 'EXISTING'; readonly order: Order }
  /** Recorded, but the broker did not answer: reconciliation will settle it. */
  | { readonly outcome: 'UNCERTAIN'; readonly order: Order; readonly message: string }
  | {
      readonly outcome: 'REJECTED';
      readonly reason: SubmitRejection;
      readonly message: string;
      readonly order?: Order;
    };

/** One exit a flatten sends (or, in a dry run, would send). */
export interface FlattenLeg {
  readonly strategyId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly lastPrice?: number;
  /** P&L the exit would realize at the last price. */
  readonly estimatedPnl?: number;
}

/** What a flatten planned, cancelled, sent and could not send. */
export interface FlattenResult {
  readonly dryRun: boolean;
  readonly legs: readonly FlattenLeg[];
  /** Working entries and stops (SL, SL-M) cancelled (or, in a dry run, that would be). */
  readonly cancelledEntries: readonly string[];
  readonly submitted: readonly Order[];
  readonly failed: ReadonlyArray<{ readonly leg: FlattenLeg; readonly reason: string }>;
}

/** What a take-over found and settled for one strategy. */
export interface ReconcileReport {
  readonly strategyId: string;
  readonly ordersChecked: number;
  readonly fillsApplied: number;
  readonly neverReachedBroker: readonly string[];
  readonly stillWorking: number;
  /** Symbols whose position differs between our books and the broker's, after the fills. */
  readonly positionMismatches: ReadonlyArray<{ symbol: string; ours: number; broker: number }>;
}

/** Everything the order manager and its parts work with. */
export interface OrderManagerDeps {
  readonly repo: OrderRepository;
  /** The broker behind the client's order-rate door. */
  readonly broker: RateLimitedBroker;
  readonly breaker: CircuitBreaker;
  readonly portfolio: Portfolio;
  readonly risk: PreTradeRisk;
  readonly riskEvents: RiskEventWriter;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly taskId: string;
  lease(strategyId: string, purpose?: LeasePurpose): HeldLease | undefined;
  /** Why the database cannot take an entry now, or undefined when it can. */
  databaseDown(): string | undefined;
  tradingDay(): string;
  /** The live trading state (an entry is not sent if it stopped being ACTIVE meanwhile). */
  state(): TradingState;
  /** The exchange algo ID an order of this strategy carries, if it has one. */
  algoIdOf(strategyId: string): string | undefined;
}

/**
 * Order lifecycle NEW -> ACK -> PARTIAL -> FILLED / CANCELLED / REJECTED. An order is committed
 * (NEW, fenced on its strategy's lease) before the broker sees it; fills are applied one at a
 * time, to the portfolio and the database, exactly once per broker fill id.
 *
 * This class is the door: submission and cancels. The orders in memory are in `OrderBook`, the
 * fill path in `OrderUpdates`, settling with the broker's record in `OrderReconciliation` and
 * closing positions in `Flattener`.
 */
export class OrderManager {
  private readonly book = new OrderBook();
  private readonly updates: OrderUpdates;
  private readonly reconciliation: OrderReconciliation;
  private readonly flattener: Flattener;

  constructor(private readonly deps: OrderManagerDeps) {
    this.updates = new OrderUpdates(this.book, deps);
    this.reconciliation = new OrderReconciliation(this.book, this.updates, deps);
    this.flattener = new Flattener({
      book: this.book,
      portfolio: deps.portfolio,
      lease: (strategyId, purpose) => deps.lease(strategyId, purpose),
      submit: (request) => this.submit(request),
      cancelBeforeFlatten: (reason, only) => this.cancelWorking('entries-and-stops', reason, only),
    });
    deps.broker.onFill((fill) => this.updates.enqueueFill(fill));
    deps.broker.onOrderClosed((order) => {
      this.updates
        .closedAtBroker(order)
        .catch((err: unknown) => deps.log.error({ err, order }, 'recording a closed order failed'));
    });
  }

  workingOrders(): Order[] {
    return this.book.workingOrders();
  }

  workingReduceQuantity(strategyId: string, symbol: string): number {
    return this.book.workingReduceQuantity(strategyId, symbol);
  }

  /**
   * Risk-checks, records and sends one order. The broker takes the order-rate slot: an exit
   * waits for its slot there, an entry without one is refused ORDER_RATE.
   */
  async submit(request: OrderRequest): Promise<SubmitResult> {
    const { deps } = this;
    const known = this.book.known(request.clientOrderId);
    if (known) return { outcome: 'EXISTING', order: known };

    const lease = deps.lease(request.strategyId, request.reduceOnly ? 'exit' : 'entry');
    if (!lease) {
      return this.rejected(
        request,
        'NOT_LEASE_HOLDER',
        `this task (${deps.taskId}) does not hold strategy ${request.strategyId}`,
      );
    }
    const down = request.reduceOnly ? undefined : deps.databaseDown();
    if (down !== undefined) return this.rejected(request, 'DATABASE_UNAVAILABLE', down);
    const decision = deps.risk.check(request);
    if (!decision.ok) return this.rejected(request, decision.reason, decision.message);
    try {
      return await this.recordAndSend(request, lease);
    } finally {
      // The entry's place in the order-rate pipeline (see PreTradeRisk) is free again.
      decision.release?.();
    }
  }

  /** Records a risk-checked order (fenced on `lease`) and sends it through the broker's door. */
  private async recordAndSend(request: OrderRequest, lease: HeldLease): Promise<SubmitResult> {
    const { deps } = this;
    const order: Order = {
      ...request,
      algoId: deps.algoIdOf(request.strategyId),
      id: timeOrderedUuid(),
      status: 'NEW',
      filledQuantity: 0,
      fenceToken: lease.fenceToken,
      tradingDay: deps.tradingDay(),
      createdAt: Date.now(),
    };
    // Reserved before the first await: the next risk check (an exit beside this exit) sees it.
    this.book.track(order);
    let written: InsertOutcome;
    try {
      // An entry takes its order-rate slot in the statement that records it.
      written = await deps.repo.insertNew(order, {
        fence: { holder: deps.taskId, fenceToken: lease.fenceToken },
        slot: !order.reduceOnly,
      });
    } catch (error) {
      this.book.untrack(order);
      if (error instanceof DatabaseUnavailableError)
        return this.rejected(request, 'DATABASE_UNAVAILABLE', error.message);
      throw error;
    }
    if (written.status !== 'WRITTEN') {
      this.book.untrack(order);
      if (written.status === 'ORDER_RATE')
        return this.rejected(request, 'ORDER_RATE', written.message);
      if (written.status === 'LEASE_LOST')
        return this.rejected(
          request,
          'LEASE_LOST',
          `lease of ${request.strategyId} (token ${lease.fenceToken}) is no longer ours`,
        );
      const existing = await deps.repo.byClientOrderId(request.clientOrderId);
      if (!existing)
        throw new Error(`order ${request.clientOrderId} is recorded but could not be read back`);
      return { outcome: 'EXISTING', order: existing };
    }
    // A halt while the insert was in flight: the entry is recorded but never sent.
    if (order.status === 'CANCELLED' || (!order.reduceOnly && deps.state() !== 'ACTIVE')) {
      this.book.untrack(order);
      order.status = 'CANCELLED';
      order.statusReason = `trading is ${deps.state()}: cancelled before it reached the broker`;
      await this.updates.writeStatus(order.id, 'CANCELLED', order.statusReason);
      return this.rejected(request, 'TRADING_HALTED', order.statusReason);
    }
    deps.metrics.inc('algo_orders_submitted_total', { algo: algoLabel(order.algoId) });

    try {
      // The breaker times the venue call only, not an exit's wait for its order-rate slot.
      const through = <T>(send: () => Promise<T>) =>
        deps.breaker.run(send, (error) => !(error instanceof BrokerRejectedError));
      const { slot } = written;
      const ack = await (slot
        ? deps.broker.submitEntry(order, slot, through)
        : deps.broker.submit(order, through));
      order.brokerOrderId = ack.brokerOrderId;
      if (order.status === 'NEW') order.status = 'ACK';
      this.updates.acknowledged(order.id, ack.brokerOrderId);
      return { outcome: 'ACCEPTED', order };
    } catch (error) {
      if (error instanceof BrokerRejectedError) {
        order.status = 'REJECTED';
        order.statusReason = error.message;
        this.book.retire(order);
        await deps.repo.setStatus(order.id, 'REJECTED', { reason: error.message });
        const reason = error instanceof OrderRateRefusedError ? 'ORDER_RATE' : 'BROKER_REJECTED';
        if (order.reduceOnly && error instanceof OrderRateRefusedError && error.cap === 'day')
          this.exitAtDailyCap(order, error.message);
        deps.metrics.inc('algo_orders_rejected_total', { reason, algo: algoLabel(order.algoId) });
        return { outcome: 'REJECTED', reason, message: error.message, order };
      }
      const message = `broker did not acknowledge: ${messageOf(error)}`;
      order.statusReason = message;
      deps.log.warn(
        { clientOrderId: order.clientOrderId, err: error },
        'order state uncertain; will reconcile',
      );
      return { outcome: 'UNCERTAIN', order, message };
    }
  }

  /**
   * Cancels working orders: entries only (a halt), entries and the stops waiting at the broker
   * (before a flatten), or all (shutdown).
   */
  async cancelWorking(
    which: 'entries' | 'entries-and-stops' | 'all',
    reason: string,
    only?: readonly string[],
  ): Promise<{ cancelled: string[]; failed: string[] }> {
    const cancelled: string[] = [];
    const failed: string[] = [];
    const targets = this.book
      .workingOrders()
      .filter(
        (o) =>
          (which === 'all' ||
            !o.reduceOnly ||
            (which === 'entries-and-stops' && isStopType(o.type))) &&
          (!only || only.includes(o.strategyId)),
      );
    await Promise.all(
      targets.map(async (o) => {
        // The broker reports the cancel as a closed order too; this method records it once.
        this.book.cancelStarted(o.clientOrderId);
        try {
          await this.deps.broker.cancel(o.clientOrderId, (send) => this.deps.breaker.run(send));
          if (await this.updates.recordCancelled(o, reason)) cancelled.push(o.clientOrderId);
          else
            this.deps.log.info(
              { clientOrderId: o.clientOrderId, status: o.status },
              'the order closed at the broker before its cancel: not cancelled',
            );
        } catch (error) {
          this.deps.log.error({ clientOrderId: o.clientOrderId, err: error }, 'cancel failed');
          failed.push(o.clientOrderId);
        } finally {
          this.book.cancelDone(o.clientOrderId);
        }
      }),
    );
    return { cancelled, failed };
  }

  /** See `Flattener.flattenPlan`. */
  flattenPlan(only?: readonly string[]): FlattenLeg[] {
    return this.flattener.flattenPlan(only);
  }

  /** See `Flattener.flatten`. */
  flatten(
    reason: string,
    dryRun: boolean,
    options: { tag?: string; only?: readonly string[] } = {},
  ): Promise<FlattenResult> {
    return this.flattener.flatten(reason, dryRun, options);
  }

  /** See `OrderReconciliation.takeOver`. */
  takeOver(strategyId: string): Promise<ReconcileReport> {
    return this.reconciliation.takeOver(strategyId);
  }

  /** Forgets a strategy this task no longer holds; the new holder takes its orders over. */
  release(strategyId: string): void {
    this.book.release(strategyId);
    this.deps.broker.release([strategyId]);
    this.deps.portfolio.drop(strategyId);
  }

  /** See `OrderReconciliation.reconcileUncertain`. */
  reconcileUncertain(olderThanMs = 5000): Promise<number> {
    return this.reconciliation.reconcileUncertain(olderThanMs);
  }

  /** Resolves when every fill, acknowledgement and status write received so far is done. */
  drain(): Promise<void> {
    return this.updates.drain();
  }

  /**
   * An exit refused at the broker's daily cap (see `SharedOrderRateLimiter`): the position stays
   * open until a person closes it, so it is said as loudly as a breach.
   */
  private exitAtDailyCap(order: Order, message: string): void {
    this.deps.log.error(
      { clientOrderId: order.clientOrderId, strategyId: order.strategyId, symbol: order.symbol },
      `exit not sent: ${message}; close the position by hand`,
    );
    this.deps.riskEvents.record({
      kind: 'BREACH',
      rule: 'BROKER_DAILY_ORDER_CAP',
      strategyId: order.strategyId,
      symbol: order.symbol,
      detail: { message, clientOrderId: order.clientOrderId, quantity: order.quantity },
      at: Date.now(),
    });
  }

  private rejected(request: OrderRequest, reason: SubmitRejection, message: string): SubmitResult {
    this.deps.metrics.inc('algo_orders_rejected_total', {
      reason,
      algo: algoLabel(this.deps.algoIdOf(request.strategyId)),
    });
    this.deps.riskEvents.record({
      kind: 'REJECT',
      rule: reason,
      strategyId: request.strategyId,
      symbol: request.symbol,
      detail: {
        message,
        clientOrderId: request.clientOrderId,
        side: request.side,
        quantity: request.quantity,
      },
      at: Date.now(),
    });
    return { outcome: 'REJECTED', reason, message };
  }
}
