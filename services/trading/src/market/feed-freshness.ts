import type { Logger } from 'pino';

export interface FeedFreshnessOptions {
  /** No exchange update for this long: FEED_STALE. @default 5 */
  readonly staleSeconds?: number;
  /** Whether the feed's socket is open, for the log lines. */
  readonly connected: () => boolean;
  readonly log: Pick<Logger, 'info' | 'warn'>;
  readonly now?: () => number;
}

/**
 * A live feed's freshness from the exchange's own timestamps (last trade, depth), so that a socket
 * that stays open while the exchange goes quiet still reads as stale. `check` logs FEED_STALE and
 * FEED_RECOVER once per change, with the lags; every live feed (Kite, Upstox, Angel One) uses it.
 */
export class FeedFreshness {
  private lastTick?: number;
  private lastDepth?: number;
  private stale = false;

  constructor(private readonly options: FeedFreshnessOptions) {}

  /** Epoch ms of a trade the exchange reported. */
  noteTick(at: number): void {
    this.lastTick = Math.max(this.lastTick ?? 0, at);
  }

  /** Epoch ms of a depth update the exchange stamped. */
  noteDepth(at: number): void {
    this.lastDepth = Math.max(this.lastDepth ?? 0, at);
  }

  lastUpdates() {
    return { ticks: this.lastTick, depth: this.lastDepth };
  }

  isStale(): boolean {
    return this.stale;
  }

  check(): void {
    const now = (this.options.now ?? Date.now)();
    const limit = (this.options.staleSeconds ?? 5) * 1000;
    const newest = Math.min(this.lastTick ?? 0, this.lastDepth ?? 0);
    const stale = now - newest > limit;
    if (stale === this.stale) return;
    this.stale = stale;
    const detail = {
      tick_lag_sec: this.lastTick === undefined ? null : (now - this.lastTick) / 1000,
      depth_lag_sec: this.lastDepth === undefined ? null : (now - this.lastDepth) / 1000,
      connected: this.options.connected(),
    };
    if (stale) this.options.log.warn({ event: 'FEED_STALE', ...detail }, 'FEED_STALE');
    else this.options.log.info({ event: 'FEED_RECOVER', ...detail }, 'FEED_RECOVER');
  }
}
