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
 * statements become one. For data that can be rebuilt (the broker holds it too); not for the
 * write that must be durable before anything else happens.
 */
export class BatchWriter<T> {
  private pending: T[] = [];
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private readonly maxItems: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: BatchWriterOptions<T>) {
    this.maxItems = options.maxItems ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 2;
  }

  add(item: T): void {
    this.pending.push(item);
    if (this.pending.length >= this.maxItems) this.cut();
    else this.timer ??= setTimeout(() => this.cut(), this.maxDelayMs);
  }

  /** Resolves when everything added so far is written (or has failed and been reported). */
  async drain(): Promise<void> {
    this.cut();
    await this.chain;
  }

  private cut(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.chain = this.chain.then(() =>
      this.options.flush(batch).catch((error: unknown) => this.options.onError(error, batch)),
    );
  }
}
