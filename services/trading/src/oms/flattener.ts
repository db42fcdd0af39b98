import { randomUUID } from 'node:crypto';
import { isStopType, type Order, type OrderRequest } from '../domain';
import type { HeldLease, LeasePurpose } from '../leases/lease-manager';
import type { OrderBook } from './order-book';
import type { FlattenLeg, FlattenResult, SubmitResult } from './order-manager';
import type { Portfolio } from './portfolio';

/** What flattening needs: the book and positions to plan from, the manager's doors to act. */
export interface FlattenerDeps {
  readonly book: OrderBook;
  readonly portfolio: Portfolio;
  lease(strategyId: string, purpose?: LeasePurpose): HeldLease | undefined;
  /** Risk-checks, records and sends one order (the order manager's submit). */
  submit(request: OrderRequest): Promise<SubmitResult>;
  /**
   * Cancels working entries and the stops waiting at the broker, of the strategies in `only` (all
   * held ones when absent).
   */
  cancelBeforeFlatten(reason: string, only?: readonly string[]): Promise<{ cancelled: string[] }>;
}

/**
 * Closes positions: cancels the working entries and the stops (SL, SL-M) waiting at the broker,
 * plans reduce-only market exits net of the exits still working, and sends them through the
 * order manager like any other order. A stop is cancelled, not counted as an exit: it may never
 * trigger, and left behind a closed position the broker would fill it as a new one.
 */
export class Flattener {
  private flattening: Promise<void> = Promise.resolve();

  constructor(private readonly deps: FlattenerDeps) {}

  /**
   * What closing every position of the held strategies (or of `only`) takes, net of exits
   * already working (`exceptStops`: net of those that are not stops, which the flatten cancels).
   */
  flattenPlan(only?: readonly string[], exceptStops = false): FlattenLeg[] {
    const { deps } = this;
    const legs: FlattenLeg[] = [];
    for (const p of deps.portfolio.openPositions()) {
      if (!deps.lease(p.strategyId, 'exit') || (only && !only.includes(p.strategyId))) continue;
      const quantity =
        Math.abs(p.quantity) - deps.book.workingReduceQuantity(p.strategyId, p.symbol, exceptStops);
      if (quantity <= 0) continue;
      const lastPrice = deps.portfolio.quote(p.symbol)?.price;
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
    if (dryRun) {
      const entries = this.deps.book
        .workingOrders()
        .filter((o) => !o.reduceOnly || isStopType(o.type))
        .map((o) => o.clientOrderId);
      const legs = this.flattenPlan(options.only, true);
      return { dryRun, legs, cancelledEntries: entries, submitted: [], failed: [] };
    }
    const { cancelled } = await this.deps.cancelBeforeFlatten(`flatten: ${reason}`, options.only);
    // Planned after the cancels: a stop whose cancel failed may still fill, so it still counts.
    const legs = this.flattenPlan(options.only);
    const submitted: Order[] = [];
    const failed: Array<{ leg: FlattenLeg; reason: string }> = [];
    for (const [i, leg] of legs.entries()) {
      const result = await this.deps.submit({
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
}
