import { JsonLinesFile } from '../../../common/json-lines-file';
import type { Order, OrderStatus } from '../domain';
import type { FenceCheck } from '../oms/order-inserts';
import type { FillRecord } from '../oms/order-repository';

/** One write that PostgreSQL could not take when it happened, in the order it happened. */
export type JournalEntry =
  /** An exit sent while the database was down (entries are never journaled: never sent). */
  | { readonly kind: 'order'; readonly order: Order; readonly fence?: FenceCheck }
  | {
      readonly kind: 'status';
      readonly orderId: string;
      readonly status: OrderStatus;
      readonly brokerOrderId?: string;
      readonly reason?: string;
    }
  | {
      readonly kind: 'acks';
      readonly acks: ReadonlyArray<{ orderId: string; brokerOrderId: string }>;
    }
  | { readonly kind: 'fills'; readonly records: readonly FillRecord[] }
  /** A flatten request carried out without its claim row (written when the database returns). */
  | {
      readonly kind: 'flatten-claim';
      readonly request: { id: string; reason: string; requester: string };
      readonly strategyIds: readonly string[];
      readonly taskId: string;
    };

/**
 * The service's local journal for a database outage: JSON lines, appended and fsynced before
 * the action it records reaches the broker, replayed into PostgreSQL in order when it returns.
 * One writer process per file (each task has its own); see `JsonLinesFile` for crash safety.
 */
export class OrderJournal {
  private readonly lines: JsonLinesFile<JournalEntry>;
  private count = 0;

  constructor(readonly file: string) {
    this.lines = new JsonLinesFile(file);
  }

  /**
   * Entries waiting for the database, without reading the file: exact once `list` ran (the
   * service replays at start, which lists).
   */
  get size(): number {
    return this.count;
  }

  /** Resolves once the entry is on disk (fsync). */
  async append(entry: JournalEntry): Promise<void> {
    await this.lines.append(entry);
    this.count += 1;
  }

  /** Every entry, oldest first. */
  async list(): Promise<JournalEntry[]> {
    const entries = await this.lines.read();
    this.count = entries.length;
    return entries;
  }

  /** Forgets the oldest `n` entries (they reached the database); atomic by rename. */
  async drop(n: number): Promise<void> {
    this.count = (await this.lines.rewrite((entries) => entries.slice(n))).length;
  }
}
