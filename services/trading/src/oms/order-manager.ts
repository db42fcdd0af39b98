import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { BatchWriter } from '../../../common/batch-writer';
import { messageOf } from '../../../common/errors';
import { retry } from '../../../common/retry';
import { type Broker, type BrokerOrder, BrokerRejectedError } from '../broker/broker';
import { OrderRateRefusedError } from '../broker/rate-limited-broker';
import {
  type Fill,
  type Order,
  type OrderRequest,
  type OrderStatus,
  quantityBreaks,
  type Side,
  type TradingState,
} from '../domain';
import type { CircuitBreaker } from '../health/circuit-breaker';
import { DatabaseUnavailableError } from '../health/database-health';
import type { HeldLease, LeasePurpose } from '../leases/lease-manager';
import type { Metrics } from '../metrics/metrics';
import type { PreTradeRisk, RejectReason } from '../risk/pre-trade-risk';
import type { RiskEventWriter } from '../risk/risk-event-writer';
import type { FillRecord, OrderRepository } from './order-repository';
import type { Portfolio } from './portfolio';

export type SubmitRejection =
  | RejectReason
  | 'NOT_LEASE_HOLDER'
  | 'LEASE_LOST'
  | 'BROKER_REJECTED'
  /** An entry while PostgreSQL is unreachable: it would not be durable before the broker. */
  | 'DATABASE_UNAVAILABLE';

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

export interface FlattenLeg {
  readonly strategyId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly lastPrice?: number;
  /** P&L the exit would realize at the last price. */
  readonly estimatedPnl?: number;
}

export interface FlattenResult {
  readonly dryRun: boolean;
  readonly legs: readonly FlattenLeg[];
  /** Working entry orders cancelled (or, in a dry run, that would be). */
  readonly cancelledEntries: readonly string[];
  readonly submitted: readonly Order[];
  readonly failed: ReadonlyArray<{ readonly leg: FlattenLeg; readonly reason: string }>;
}

export interface ReconcileReport {
  readonly strategyId: string;
  readonly ordersChecked: number;
  readonly fillsApplied: number;
  readonly neverReachedBroker: readonly string[];
  readonly stillWorking: number;
  /** Symbols whose position differs between our books and the broker's, after the fills. */
  readonly positionMismatches: ReadonlyArray<{ symbol: string; ours: number; broker: number }>;
}

export interface OrderManagerDeps {
  readonly repo: OrderRepository;
  readonly broker: Broker;
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
}

const isUniqueViolation = (error: unknown) => (error as { code?: string } | null)?.code === '23505';

/**
 * Order lifecycle NEW -> ACK -> PARTIAL -> FILLED / CANCELLED / REJECTED. An order is committed
 * (NEW, fenced on its strategy's lease) before the broker sees it; fills are applied one at a
 * time, to the portfolio and the database, exactly once per broker fill id.
 */
export class OrderManager {
  private readonly working = new Map<string, Order>();
  /**
   * Orders that have left `working` (filled, cancelled, rejected), newest last: a repeat of their
   * client order id (a client retrying after a timeout) gets the order back, not a second one
   * or a duplicate-order refusal.
   */
  private readonly finished = new Map<string, Order>();
  /** Orders this manager is cancelling: their closed-order event is its own doing. */
  private readonly cancelling = new Set<string>();
  private readonly appliedFills = new Map<string, Set<string>>();
  private flattening: Promise<void> = Promise.resolve();
  /** Status writes, one at a time, in the order they happened. */
  private chain: Promise<void> = Promise.resolve();
  /** Acknowledgements, written in batches (the broker holds them too). */
  private readonly acks: BatchWriter<{ orderId: string; brokerOrderId: string }>;
  /** Fills with their orders and positions, written in batches, in order. */
  private readonly fillWrites: BatchWriter<FillRecord>;

  constructor(private readonly deps: OrderManagerDeps) {
    const retrying = <T>(what: string, write: (items: readonly T[]) => Promise<unknown>) =>
      new BatchWriter<T>({
        flush: async (items) => {
          await retry(() => write(items), { attempts: 3, baseDelayMs: 50 });
        },
        onError: (err, items) =>
          deps.log.error(
            { err, count: items.length },
            `writing ${what} failed; reconciliation on take-over repairs it`,
          ),
      });
    this.acks = retrying('acknowledgements', (items) => deps.repo.ackOrders(items));
    this.fillWrites = retrying('fills', (items) => deps.repo.recordFills(items));
    deps.broker.onFill((fill) => this.enqueueFill(fill));
    deps.broker.onOrderClosed((order) => {
      this.closedAtBroker(order).catch((err: unknown) =>
        deps.log.error({ err, order }, 'recording a closed order failed'),
      );
    });
  }

  workingOrders(): Order[] {
    return [...this.working.values()];
  }

  workingReduceQuantity(strategyId: string, symbol: string): number {
    let total = 0;
    for (const o of this.working.values()) {
      if (o.reduceOnly && o.strategyId === strategyId && o.symbol === symbol)
        total += o.quantity - o.filledQuantity;
    }
    return total;
  }

  /**
   * Risk-checks, records and sends one order. The broker takes the order-rate slot: an exit
   * waits for its slot there, an entry without one is refused ORDER_RATE.
   */
  async submit(request: OrderRequest): Promise<SubmitResult> {
    const { deps } = this;
    const known =
      this.working.get(request.clientOrderId) ?? this.finished.get(request.clientOrderId);
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
      id: randomUUID(),
      status: 'NEW',
      filledQuantity: 0,
      fenceToken: lease.fenceToken,
      tradingDay: deps.tradingDay(),
      createdAt: Date.now(),
    };
    // Reserved before the first await: the next risk check (an exit beside this exit) sees it.
    this.working.set(order.clientOrderId, order);
    try {
      const written = await deps.repo.insertNew(order, {
        holder: deps.taskId,
        fenceToken: lease.fenceToken,
      });
      if (!written) {
        this.working.delete(order.clientOrderId);
        return this.rejected(
          request,
          'LEASE_LOST',
          `lease of ${request.strategyId} (token ${lease.fenceToken}) is no longer ours`,
        );
      }
    } catch (error) {
      this.working.delete(order.clientOrderId);
      if (error instanceof DatabaseUnavailableError)
        return this.rejected(request, 'DATABASE_UNAVAILABLE', error.message);
      if (!isUniqueViolation(error)) throw error;
      const existing = await deps.repo.byClientOrderId(request.clientOrderId);
      if (existing) return { outcome: 'EXISTING', order: existing };
      throw error;
    }
    // A halt while the insert was in flight: the entry is recorded but never sent.
    if (order.status === 'CANCELLED' || (!order.reduceOnly && deps.state() !== 'ACTIVE')) {
      this.working.delete(order.clientOrderId);
      order.status = 'CANCELLED';
      order.statusReason = `trading is ${deps.state()}: cancelled before it reached the broker`;
      await this.writeStatus(order.id, 'CANCELLED', order.statusReason);
      return this.rejected(request, 'TRADING_HALTED', order.statusReason);
    }
    deps.metrics.inc('algo_orders_submitted_total');

    try {
      // The breaker times the venue call only, not an exit's wait for its order-rate slot.
      const ack = await deps.broker.submit(order, (send) =>
        deps.breaker.run(send, (error) => !(error instanceof BrokerRejectedError)),
      );
      order.brokerOrderId = ack.brokerOrderId;
      if (order.status === 'NEW') order.status = 'ACK';
      // Only NEW -> ACK, so a fill recorded first is never overwritten; batched, not awaited: the
      // broker holds the acknowledgement, and reconciliation rebuilds a lost write.
      this.acks.add({ orderId: order.id, brokerOrderId: ack.brokerOrderId });
      return { outcome: 'ACCEPTED', order };
    } catch (error) {
      if (error instanceof BrokerRejectedError) {
        order.status = 'REJECTED';
        order.statusReason = error.message;
        this.retire(order);
        await deps.repo.setStatus(order.id, 'REJECTED', { reason: error.message });
        const reason = error instanceof OrderRateRefusedError ? 'ORDER_RATE' : 'BROKER_REJECTED';
        deps.metrics.inc('algo_orders_rejected_total', { reason });
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

  /** Cancels working orders: entries only (a halt) or all (shutdown). */
  async cancelWorking(
    which: 'entries' | 'all',
    reason: string,
    only?: readonly string[],
  ): Promise<{ cancelled: string[]; failed: string[] }> {
    const cancelled: string[] = [];
    const failed: string[] = [];
    const targets = [...this.working.values()].filter(
      (o) => (which === 'all' || !o.reduceOnly) && (!only || only.includes(o.strategyId)),
    );
    await Promise.all(
      targets.map(async (o) => {
        // The broker reports the cancel as a closed order too; this method records it once.
        this.cancelling.add(o.clientOrderId);
        try {
          await this.deps.broker.cancel(o.clientOrderId, (send) => this.deps.breaker.run(send));
          if (await this.recordCancelled(o, reason)) cancelled.push(o.clientOrderId);
          else
            this.deps.log.info(
              { clientOrderId: o.clientOrderId, status: o.status },
              'the order closed at the broker before its cancel: not cancelled',
            );
        } catch (error) {
          this.deps.log.error({ clientOrderId: o.clientOrderId, err: error }, 'cancel failed');
          failed.push(o.clientOrderId);
        } finally {
          this.cancelling.delete(o.clientOrderId);
        }
      }),
    );
    return { cancelled, failed };
  }

  /**
   * Records a cancel the broker took: CANCELLED, unless the order filled. A cancel can answer
   * without cancelling anything: the door drops one whose order closed while it waited for its
   * rate slot, and a venue answers the cancel of a filled order without effect. Marked at once (an
   * order not yet sent must not go out), but left working until the fills received before the
   * answer are applied: one that completes the order makes it FILLED (`applyFill`), and then
   * CANCELLED is not written, so our books say what the venue says.
   */
  private async recordCancelled(o: Order, reason: string): Promise<boolean> {
    if (o.status === 'FILLED' || o.status === 'REJECTED') return false;
    o.status = 'CANCELLED';
    o.statusReason = reason;
    return this.serial(async () => {
      if (o.status !== 'CANCELLED') return false;
      this.retire(o);
      await this.fillWrites.drain();
      await this.deps.repo.setStatus(o.id, 'CANCELLED', { reason });
      return true;
    });
  }

  /**
   * What closing every position of the held strategies (or of `only`) takes, net of exits
   * already working.
   */
  flattenPlan(only?: readonly string[]): FlattenLeg[] {
    const legs: FlattenLeg[] = [];
    for (const p of this.deps.portfolio.openPositions()) {
      if (!this.deps.lease(p.strategyId, 'exit') || (only && !only.includes(p.strategyId)))
        continue;
      const quantity = Math.abs(p.quantity) - this.workingReduceQuantity(p.strategyId, p.symbol);
      if (quantity <= 0) continue;
      const lastPrice = this.deps.portfolio.quote(p.symbol)?.price;
      legs.push({
        strategyId: p.strategyId,
        symbol: p.symbol,
        side: p.quantity > 0 ? 'SELL' : 'BUY',
        quantity,
        lastPrice,
        estimatedPnl:
          lastPrice === undefined
            ? undefined
            : Math.round(quantity * (lastPrice - p.avgPrice) * Math.sign(p.quantity) * 100) / 100,
      });
    }
    return legs;
  }

  /**
   * Cancels working entries and closes every position of the held strategies with reduce-only
   * market orders; each exit waits for its order-rate slot at the broker. Does not wait for the
   * fills.
   */
  flatten(
    reason: string,
    dryRun: boolean,
    options: { tag?: string; only?: readonly string[] } = {},
  ): Promise<FlattenResult> {
    // One flatten at a time: the next one plans net of the exits this one sent.
    const run = this.flattening.then(() => this.flattenNow(reason, dryRun, options));
    this.flattening = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async flattenNow(
    reason: string,
    dryRun: boolean,
    options: { tag?: string; only?: readonly string[] },
  ): Promise<FlattenResult> {
    const tag = options.tag ?? randomUUID().slice(0, 8);
    const legs = this.flattenPlan(options.only);
    if (dryRun) {
      const entries = [...this.working.values()]
        .filter((o) => !o.reduceOnly)
        .map((o) => o.clientOrderId);
      return { dryRun, legs, cancelledEntries: entries, submitted: [], failed: [] };
    }
    const { cancelled } = await this.cancelWorking('entries', `flatten: ${reason}`, options.only);
    const submitted: Order[] = [];
    const failed: Array<{ leg: FlattenLeg; reason: string }> = [];
    for (const [i, leg] of legs.entries()) {
      const result = await this.submit({
        clientOrderId: `flat-${tag}-${i}-${leg.strategyId}-${leg.symbol}`.slice(0, 64),
        strategyId: leg.strategyId,
        symbol: leg.symbol,
        side: leg.side,
        type: 'MARKET',
        quantity: leg.quantity,
        reduceOnly: true,
      });
      if (result.outcome === 'REJECTED')
        failed.push({ leg, reason: `${result.reason}: ${result.message}` });
      else submitted.push(result.order);
    }
    return { dryRun, legs, cancelledEntries: cancelled, submitted, failed };
  }

  /**
   * Takes over a strategy whose lease this task just acquired: settle every order of ours that is
   * not final against the broker's record (fills we missed, orders that never arrived), load the
   * positions, resume the broker's working orders, and compare positions with the broker.
   */
  async takeOver(strategyId: string): Promise<ReconcileReport> {
    const { deps } = this;
    deps.portfolio.load(
      strategyId,
      await deps.repo.positions(deps.tradingDay(), { only: [strategyId] }),
    );
    const open = await deps.repo.openOrders([strategyId]);
    let fillsApplied = 0;
    const neverReached: string[] = [];
    for (const order of open) {
      const known = await deps.repo.fillIds(order.id);
      this.appliedFills.set(order.clientOrderId, new Set(known));
      const atBroker = await deps.broker.getOrder(order.clientOrderId);
      if (!atBroker) {
        const reason = 'never reached the broker (reconciled on take-over)';
        await deps.repo.setStatus(order.id, 'CANCELLED', { reason });
        neverReached.push(order.clientOrderId);
        continue;
      }
      this.working.set(order.clientOrderId, order);
      for (const fill of atBroker.fills) {
        if (await this.applyFill(fill)) fillsApplied += 1;
      }
      await this.closedAtBroker(atBroker, order);
      if (atBroker.status === 'OPEN' && order.status === 'NEW') {
        order.status = 'ACK';
        order.brokerOrderId = atBroker.brokerOrderId;
        this.acks.add({ orderId: order.id, brokerOrderId: atBroker.brokerOrderId });
      }
    }
    await deps.broker.adopt([strategyId]);
    // What reconciliation learnt is on disk before the strategy trades again.
    await this.drain();

    const ours = new Map(
      deps.portfolio
        .openPositions()
        .filter((p) => p.strategyId === strategyId)
        .map((p) => [p.symbol, p.quantity]),
    );
    const theirs = new Map(
      (await deps.broker.positions())
        .filter((p) => p.strategyId === strategyId)
        .map((p) => [p.symbol, p.quantity]),
    );
    const positionMismatches = quantityBreaks(ours, theirs).map(({ key, ...m }) => ({
      symbol: key,
      ...m,
    }));
    return {
      strategyId,
      ordersChecked: open.length,
      fillsApplied,
      neverReachedBroker: neverReached,
      stillWorking: [...this.working.values()].filter((o) => o.strategyId === strategyId).length,
      positionMismatches,
    };
  }

  /** An order leaves `working`; its client order id is remembered (the last 10,000). */
  private retire(order: Order): void {
    this.working.delete(order.clientOrderId);
    this.finished.delete(order.clientOrderId);
    this.finished.set(order.clientOrderId, order);
    if (this.finished.size > 10_000) {
      const oldest = this.finished.keys().next().value;
      if (oldest !== undefined) this.finished.delete(oldest);
    }
  }

  /** Forgets a strategy this task no longer holds; the new holder takes its orders over. */
  release(strategyId: string): void {
    for (const [id, o] of this.working) if (o.strategyId === strategyId) this.working.delete(id);
    this.deps.broker.release([strategyId]);
    this.deps.portfolio.drop(strategyId);
  }

  /**
   * Settles orders the broker never acknowledged (it was unreachable when they were sent): the
   * broker's record decides; nothing is sent again. Called periodically. Returns how many it
   * settled; stops at the first lookup the broker does not answer (the next round asks again).
   */
  async reconcileUncertain(olderThanMs = 5000): Promise<number> {
    let settled = 0;
    const now = Date.now();
    for (const order of [...this.working.values()]) {
      if (order.status !== 'NEW' || now - order.createdAt < olderThanMs) continue;
      let atBroker: BrokerOrder | undefined;
      try {
        // Through the breaker, with its timeout: a lookup that hangs must not stop every later
        // round (the periodic runner never starts a round while the last one is running).
        atBroker = await this.deps.breaker.run(() =>
          this.deps.broker.getOrder(order.clientOrderId),
        );
      } catch (error) {
        this.deps.log.warn(
          { clientOrderId: order.clientOrderId, err: error },
          'broker did not answer the lookup of an uncertain order; the next round asks again',
        );
        break;
      }
      if (!atBroker) {
        this.retire(order);
        order.status = 'CANCELLED';
        await this.deps.repo.setStatus(order.id, 'CANCELLED', {
          reason: 'never reached the broker',
        });
      } else {
        for (const fill of atBroker.fills) await this.applyFill(fill);
        await this.closedAtBroker(atBroker, order);
        // It arrived and works at the broker: acknowledged, or it would be looked up forever.
        if (atBroker.status === 'OPEN' && order.status === 'NEW') {
          order.status = 'ACK';
          order.brokerOrderId = atBroker.brokerOrderId;
          this.acks.add({ orderId: order.id, brokerOrderId: atBroker.brokerOrderId });
        }
      }
      settled += 1;
    }
    return settled;
  }

  /** Resolves when every fill, acknowledgement and status write received so far is done. */
  async drain(): Promise<void> {
    await this.chain;
    await Promise.all([this.acks.drain(), this.fillWrites.drain()]);
  }

  /** A status change, written after the fills queued before it: a late fill never undoes it. */
  private writeStatus(orderId: string, status: OrderStatus, reason?: string): Promise<void> {
    return this.serial(async () => {
      await this.fillWrites.drain();
      await this.deps.repo.setStatus(orderId, status, { reason });
    });
  }

  private enqueueFill(fill: Fill): void {
    void this.serial(() => this.applyFill(fill)).catch((error: unknown) =>
      this.deps.log.error(
        { err: error, fill },
        'applying a fill failed; reconciliation will repeat it',
      ),
    );
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
  private async applyFill(fill: Fill): Promise<boolean> {
    const { deps } = this;
    let order = this.working.get(fill.clientOrderId);
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
      this.retire(order);
      this.appliedFills.delete(order.clientOrderId);
    }
    deps.metrics.inc('algo_fills_total');
    this.fillWrites.add({
      fill,
      order: { ...order },
      realizedPnl: effect.realizedPnl,
      closesPosition: effect.closesPosition,
      position: effect.position,
    });
    return true;
  }

  private async closedAtBroker(atBroker: BrokerOrder, known?: Order): Promise<void> {
    const status = atBroker.status;
    if (status !== 'CANCELLED' && status !== 'REJECTED') return;
    if (this.cancelling.has(atBroker.clientOrderId)) return;
    const order = known ?? this.working.get(atBroker.clientOrderId);
    if (!order || order.status === 'FILLED') return;
    this.retire(order);
    order.status = status;
    order.statusReason = atBroker.reason;
    await this.writeStatus(order.id, status, atBroker.reason);
  }

  private rejected(request: OrderRequest, reason: SubmitRejection, message: string): SubmitResult {
    this.deps.metrics.inc('algo_orders_rejected_total', { reason });
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
