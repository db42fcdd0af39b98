/** A sliding-window counter: at most `limit` events in any `windowMs` (a broker's order limits). */
export class SlidingWindow {
  private readonly stamps: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Whether another event fits now; counts it when it does. */
  tryTake(): boolean {
    const now = this.now();
    while (this.stamps.length > 0 && (this.stamps[0] ?? 0) <= now - this.windowMs) {
      this.stamps.shift();
    }
    if (this.stamps.length >= this.limit) return false;
    this.stamps.push(now);
    return true;
  }
}
