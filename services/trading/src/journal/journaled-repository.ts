import { messageOf } from '../../../common/errors';
import type { ControlsRepository } from '../controls-repository';
import type { Order, OrderStatus } from '../domain';
import {
  type DatabaseHealth,
  DatabaseUnavailableError,
  isDatabaseUnavailable,
} from '../health/database-health';
import type { EntrySlots, FenceCheck, InsertOutcome } from '../oms/order-inserts';
import { type FillRecord, OrderRepository, type TradingDatabase } from '../oms/order-repository';
import type { JournalEntry, OrderJournal } from './order-journal';

/**
 * The order repository with a journal behind it for a database outage. An exit (reduce-only)
 * that cannot be written to PostgreSQL is written to the journal (fsync) and goes out; an entry
 * is refused with `DatabaseUnavailableError` (never sent unless durable in PostgreSQL). Status,
 * acknowledgement and fill writes that fail for want of a database go to the journal too. While
 * the journal holds anything, it is replayed first, so PostgreSQL receives writes in the order
 * they happened.
 */
export class JournaledOrderRepository extends OrderRepository {
  private replaying?: Promise<number>;

  constructor(
    db: TradingDatabase,
    private readonly journal: OrderJournal,
    private readonly health: DatabaseHealth,
    private readonly controls: ControlsRepository,
    slots: EntrySlots,
  ) {
    super(db, slots);
  }

  /** Entries still waiting for the database. */
  pending(): number {
    return this.journal.size;
  }

  override async insertNew(
    order: Order,
    options: { fence?: FenceCheck; slot?: boolean } = {},
  ): Promise<InsertOutcome> {
    if (await this.caughtUp()) {
      try {
        return await super.insertNew(order, options);
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        this.health.report(error);
      }
    }
    if (!order.reduceOnly) {
      throw new DatabaseUnavailableError(
        `the database is unreachable (${this.health.cause() ?? 'journal not yet replayed'}): an entry is never sent before it is durable`,
      );
    }
    // The exit takes its order-rate slot at the broker's door, in line.
    await this.journal.append({ kind: 'order', order: { ...order }, fence: options.fence });
    return { status: 'WRITTEN' };
  }

  override setStatus(
    orderId: string,
    status: OrderStatus,
    fields: { brokerOrderId?: string; reason?: string } = {},
  ): Promise<void> {
    return this.write({ kind: 'status', orderId, status, ...fields });
  }

  override ackOrders(acks: ReadonlyArray<{ orderId: string; brokerOrderId: string }>) {
    return this.write({ kind: 'acks', acks });
  }

  override async recordFills(records: readonly FillRecord[]): Promise<number> {
    await this.write({ kind: 'fills', records });
    return records.length;
  }

  /** Records a carried-out flatten request's claim: now, or from the journal later. */
  recordFlattenClaim(
    request: { id: string; reason: string; requester: string },
    strategyIds: readonly string[],
    taskId: string,
  ): Promise<void> {
    return this.write({ kind: 'flatten-claim', request, strategyIds, taskId });
  }

  /**
   * Copies the journal into PostgreSQL, oldest first; stops at the first failure so that order
   * is kept. Returns the entries left. Concurrent callers share one run.
   */
  replay(): Promise<number> {
    this.replaying ??= this.replayNow().finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async replayNow(): Promise<number> {
    const entries = await this.journal.list();
    let done = 0;
    try {
      for (const entry of entries) {
        await this.apply(entry);
        done += 1;
      }
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        throw new Error(
          `replaying journal entry ${done + 1} (${entries[done]?.kind}) failed: ${messageOf(error)}`,
        );
      }
      this.health.report(error);
    } finally {
      if (done > 0) await this.journal.drop(done);
    }
    return entries.length - done;
  }

  private async caughtUp(): Promise<boolean> {
    if (this.journal.size === 0) return true;
    return (await this.replay()) === 0;
  }

  private async write(entry: JournalEntry): Promise<void> {
    if (await this.caughtUp()) {
      try {
        await this.apply(entry);
        return;
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        this.health.report(error);
      }
    }
    await this.journal.append(entry);
  }

  private async apply(entry: JournalEntry): Promise<void> {
    switch (entry.kind) {
      case 'order':
        // Unfenced: the exit reached the broker already; its record must exist whoever holds
        // the lease now (already there: DUPLICATE, nothing to do).
        await super.insertNew(entry.order);
        return;
      case 'status':
        return super.setStatus(entry.orderId, entry.status, {
          brokerOrderId: entry.brokerOrderId,
          reason: entry.reason,
        });
      case 'acks':
        return super.ackOrders(entry.acks);
      case 'fills':
        await super.recordFills(entry.records);
        return;
      case 'flatten-claim':
        await this.controls.claimFlattenRequest(entry.request, entry.strategyIds, entry.taskId);
        return;
    }
  }
}
