import type { OrderRequest } from '../domain';

/**
 * The same strategy sending the same symbol, side, quantity and price within the window is a
 * duplicate (a retry loop, a double click), not a new intent.
 */
export class DuplicateDetector {
  /** Fingerprint -> last time, in insertion order: the oldest entries come first. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  private static fingerprint(r: OrderRequest): string {
    return `${r.strategyId}|${r.symbol}|${r.side}|${r.quantity}|${r.type}|${r.limitPrice ?? ''}|${r.triggerPrice ?? ''}|${r.reduceOnly}`;
  }

  isDuplicate(request: OrderRequest, now: number): boolean {
    const at = this.seen.get(DuplicateDetector.fingerprint(request));
    return at !== undefined && now - at < this.windowMs;
  }

  remember(request: OrderRequest, now: number): void {
    // Expired entries are at the front: stop at the first live one (amortised O(1)).
    for (const [key, at] of this.seen) {
      if (now - at < this.windowMs) break;
      this.seen.delete(key);
    }
    const key = DuplicateDetector.fingerprint(request);
    this.seen.delete(key);
    this.seen.set(key, now);
  }
}
