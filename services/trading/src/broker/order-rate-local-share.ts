import type { SlotAnswer } from './order-rate-slots';

/**
 * This task's own sends in the order-rate window. While the database is unreachable they are
 * the whole count: the task may send its share of the limit (the limit divided by the tasks
 * seen). Sends made on that share are kept until the database counts them (`backfill`).
 */
export class OrderRateLocalShare {
  /** This task's sends in the window (its share while the database is down). */
  private readonly ownSends: number[] = [];
  /** Sends on the local share that the database has not been told about. */
  private readonly unreported: number[] = [];

  constructor(private readonly windowMs: number) {}

  /** This task's sends still in the window at `now`. */
  count(now: number): number {
    this.prune(now);
    return this.ownSends.length;
  }

  /** A send on a slot the database granted at `now`. */
  sentShared(now: number): void {
    this.ownSends.push(now);
  }

  /** The ages at `now` (ms) of the sends the database has not counted yet. */
  backfill(now: number): number[] {
    this.prune(now);
    return this.unreported.map((t) => Math.max(0, now - t));
  }

  /** The database answered a request that carried the backfill: it has counted them. */
  reported(): void {
    this.unreported.length = 0;
  }

  /** A slot of this task's share of `limit` among `tasksSeen` tasks, or when one frees. */
  take(now: number, limit: number, tasksSeen: number): SlotAnswer {
    this.prune(now);
    const share = Math.max(1, Math.floor(limit / tasksSeen));
    if (this.ownSends.length < share) {
      this.ownSends.push(now);
      this.unreported.push(now);
      return { granted: true, askedAt: now };
    }
    const oldest = this.ownSends[this.ownSends.length - share] ?? now;
    return {
      granted: false,
      retryInMs: Math.max(1, oldest + this.windowMs - now),
      why: `this task's share (${share}) is taken`,
    };
  }

  /**
   * Drops the sends that left the window: from the head, as sends are added in time order (a
   * thousand a second must not mean a thousand comparisons a call). One added out of order stays
   * until those before it leave: it is counted a little longer, the safe side.
   */
  private prune(now: number): void {
    const expired = (sends: number[]) => {
      let n = 0;
      while (n < sends.length && now - (sends[n] ?? now) >= this.windowMs) n += 1;
      if (n > 0) sends.splice(0, n);
    };
    expired(this.ownSends);
    expired(this.unreported);
  }
}
