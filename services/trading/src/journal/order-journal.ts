import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Order, OrderStatus } from '../domain';
import type { FenceCheck, FillRecord } from '../oms/order-repository';

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
 * One writer process per file (each task has its own). A line cut short by a crash mid-append
 * is the last one and is skipped: its action never went out (the append had not returned).
 */
export class OrderJournal {
  private chain: Promise<unknown> = Promise.resolve();
  private count = 0;

  constructor(readonly file: string) {}

  /**
   * Entries waiting for the database, without reading the file: exact once `list` ran (the
   * service replays at start, which lists).
   */
  get size(): number {
    return this.count;
  }

  /** Resolves once the entry is on disk (fsync). */
  append(entry: JournalEntry): Promise<void> {
    return this.serial(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const handle = await open(this.file, 'a');
      try {
        await handle.appendFile(`${JSON.stringify(entry)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      this.count += 1;
    });
  }

  /** Every entry, oldest first. */
  list(): Promise<JournalEntry[]> {
    return this.serial(() => this.read());
  }

  /** Forgets the oldest `n` entries (they reached the database); atomic by rename. */
  drop(n: number): Promise<void> {
    return this.serial(async () => {
      const kept = (await this.read()).slice(n);
      const tmp = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
      this.count = kept.length;
    });
  }

  private async read(): Promise<JournalEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      text = '';
    }
    const entries = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as JournalEntry];
        } catch {
          return [];
        }
      });
    this.count = entries.length;
    return entries;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
