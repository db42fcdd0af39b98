export interface BatchWriterOptions<T> {
  /** Writes one batch; items arrive in the order they were added. */
  readonly flush: (items: readonly T[]) => Promise<void>;
  /** A batch goes out when it holds this many items... @default 200 */
  readonly maxItems?: number;
  /** ...or when its first item has waited this long. @default 2 */
  readonly maxDelayMs?: number;
  /** A batch failed: its items are handed back (the caller decides: retry, repair, report). */
  readonly onError: (error: unknown, items: readonly T[]) => void;
}

/**
 * Collects writes and sends them in batches, one batch at a time and in order: many small
 * statements become one. While a batch is being written, what arrives waits for the next one, so
 * batches grow with the load instead of queueing up behind each other. For data that can be
 * rebuilt (the broker holds it too); not for the write that must be durable before anything else
 * happens.
 */
export class BatchWriter<T> {
  private pending: T[] = [];
  private timer?: NodeJS.Timeout;
  /** The batch being written, if any. */
  private writing?: Promise<void>;
  /** Items added, and items written or failed (in the order they were added). */
  private added = 0;
  private settled = 0;
  private readonly maxItems: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: BatchWriterOptions<T>) {
    this.maxItems = options.maxItems ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 2;
  }

  add(item: T): void {
    this.pending.push(item);
    this.added += 1;
    if (this.pending.length >= this.maxItems) this.cut();
    else this.timer ??= setTimeout(() => this.cut(), this.maxDelayMs);
  }

  /**
   * Resolves when everything added so far is written (or has failed and been reported); what is
   * added meanwhile is not waited for, so a steady stream cannot keep it waiting.
   */
  async drain(): Promise<void> {
    const upTo = this.added;
    this.cut();
    while (this.settled < upTo && this.writing) await this.writing;
  }

  private cut(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // Busy: the batch in flight cuts the next one when it is done.
    if (this.writing || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.maxItems);
    this.writing = this.options
      .flush(batch)
      .catch((error: unknown) => this.options.onError(error, batch))
      .finally(() => {
        this.settled += batch.length;
        this.writing = undefined;
        this.cut();
      });
  }
}
