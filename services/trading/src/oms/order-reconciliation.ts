import type { Logger } from 'pino';
import type { Broker, BrokerOrder } from '../broker/broker';
import { type Order, quantityBreaks } from '../domain';
import type { CircuitBreaker } from '../health/circuit-breaker';
import type { OrderBook } from './order-book';
import type { ReconcileReport } from './order-manager';
import type { OrderRepository } from './order-repository';
import type { OrderUpdates } from './order-updates';
import type { Portfolio } from './portfolio';

/** What reconciling with the broker's record needs. */
export interface OrderReconciliationDeps {
  readonly repo: OrderRepository;
  readonly broker: Broker;
  readonly breaker: CircuitBreaker;
  readonly portfolio: Portfolio;
  readonly log: Logger;
  tradingDay(): string;
}

/**
 * Settles our orders against the broker's record, which decides: on take-over of a strategy
 * (orders another task left behind) and periodically for orders the broker never acknowledged.
 * Nothing is sent again; what the broker did is applied through the fill path.
 */
export class OrderReconciliation {
  constructor(
    private readonly book: OrderBook,
    private readonly updates: OrderUpdates,
    private readonly deps: OrderReconciliationDeps,
  ) {}

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
      this.updates.knownFills(order.clientOrderId, await deps.repo.fillIds(order.id));
      const atBroker = await deps.broker.getOrder(order.clientOrderId);
      if (!atBroker) {
        const reason = 'never reached the broker (reconciled on take-over)';
        await deps.repo.setStatus(order.id, 'CANCELLED', { reason });
        neverReached.push(order.clientOrderId);
        continue;
      }
      this.book.track(order);
      fillsApplied += await this.settle(order, atBroker);
    }
    await deps.broker.adopt([strategyId]);
    // What reconciliation learnt is on disk before the strategy trades again.
    await this.updates.drain();

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
      stillWorking: this.book.workingOrders().filter((o) => o.strategyId === strategyId).length,
      positionMismatches,
    };
  }

  /**
   * Settles orders the broker never acknowledged (it was unreachable when they were sent): the
   * broker's record decides; nothing is sent again. Called periodically. Returns how many it
   * settled; stops at the first lookup the broker does not answer (the next round asks again).
   */
  async reconcileUncertain(olderThanMs = 5000): Promise<number> {
    let settled = 0;
    const now = Date.now();
    for (const order of this.book.workingOrders()) {
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
        this.book.retire(order);
        order.status = 'CANCELLED';
        await this.deps.repo.setStatus(order.id, 'CANCELLED', {
          reason: 'never reached the broker',
        });
      } else {
        await this.settle(order, atBroker);
      }
      settled += 1;
    }
    return settled;
  }

  /**
   * Applies the broker's record of a working order: its fills, its close, and its
   * acknowledgement (an order still NEW that works at the broker would otherwise be looked up
   * forever). Returns how many fills were new.
   */
  private async settle(order: Order, atBroker: BrokerOrder): Promise<number> {
    let fillsApplied = 0;
    for (const fill of atBroker.fills) {
      if (await this.updates.applyFill(fill)) fillsApplied += 1;
    }
    await this.updates.closedAtBroker(atBroker, order);
    if (atBroker.status === 'OPEN' && order.status === 'NEW') {
      order.status = 'ACK';
      order.brokerOrderId = atBroker.brokerOrderId;
      this.updates.acknowledged(order.id, atBroker.brokerOrderId);
    }
    return fillsApplied;
  }
}
