/**
 * Turns single writes into batches without a timer: the items that arrive while a batch is being
 * written (or in the same turn of the event loop) go out together in the next one, one batch in
 * flight at a time. Idle, an item goes out at once; busy, batches grow with the load. Each caller
 * gets its own item's result; a batch that fails fails its own items, each with its error.
 *
 * Unlike `BatchWriter` (writes nobody waits for), this is for the write a caller waits on: a
 * statement per batch instead of one per item, one commit (one WAL flush) for all of them.
 */
export class GroupCommit<T, R> {
  private queue: Array<{ item: T; resolve(r: R): void; reject(e: unknown): void }> = [];
  private writing = false;
  private scheduled = false;

  /**
   * `write` answers one result per item, in their order. `maxItems`: a batch holds at most this
   * many (the rest wait for the next). @default 500
   */
  constructor(
    private readonly write: (items: readonly T[]) => Promise<readonly R[]>,
    private readonly maxItems = 500,
  ) {}

  /** Resolves with the item's result once its batch is written. */
  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    // After the I/O callbacks of this turn: requests read together go out together.
    setImmediate(() => {
      this.scheduled = false;
      void this.writeNext();
    });
  }

  private async writeNext(): Promise<void> {
    if (this.writing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxItems);
    this.writing = true;
    try {
      const results = await this.write(batch.map((b) => b.item));
      if (results.length !== batch.length)
        throw new Error(`a batch of ${batch.length} was answered with ${results.length} results`);
      for (const [i, b] of batch.entries()) b.resolve(results[i] as R);
    } catch (error) {
      for (const b of batch) b.reject(error);
    } finally {
      this.writing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
