import { sleep } from '../../../common/retry';

/**
 * At most `limit` events in any `windowMs`: a queue of the timestamps inside the window, pruned
 * from the front, so every call is amortised O(1). Entries use tryAcquire (refused when full);
 * exits use acquire (they wait their turn, they are never refused).
 */
export class SlidingWindowLimiter {
  private readonly stamps: number[] = [];
  private head = 0;
  private peakPerWindow = 0;

  constructor(
    readonly limit: number,
    readonly windowMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  tryAcquire(): boolean {
    const t = this.now();
    this.prune(t);
    if (this.stamps.length - this.head >= this.limit) return false;
    this.stamps.push(t);
    this.peakPerWindow = Math.max(this.peakPerWindow, this.stamps.length - this.head);
    return true;
  }

  async acquire(): Promise<void> {
    while (!this.tryAcquire()) {
      const oldest = this.stamps[this.head] ?? this.now();
      await sleep(Math.max(1, this.windowMs - (this.now() - oldest)));
    }
  }

  /** Events in the current window. */
  used(): number {
    this.prune(this.now());
    return this.stamps.length - this.head;
  }

  /** Highest `used()` seen since the last call (for an orders-per-second metric). */
  takePeak(): number {
    const peak = this.peakPerWindow;
    this.peakPerWindow = this.used();
    return peak;
  }

  private prune(t: number): void {
    while (this.head < this.stamps.length && t - (this.stamps[this.head] ?? t) >= this.windowMs)
      this.head += 1;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.stamps.length) {
      this.stamps.splice(0, this.head);
      this.head = 0;
    }
  }
}
