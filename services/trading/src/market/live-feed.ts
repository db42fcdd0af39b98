import type { Logger } from 'pino';
import type { Tick } from './bars';
import type { MarketDataFeed } from './feed';
import { FeedFreshness } from './feed-freshness';

/** What every live broker feed is told besides its connection and universe. */
export interface LiveFeedOptions {
  /** No exchange update for this long: FEED_STALE. @default 5 */
  readonly staleSeconds?: number;
  /** How often freshness is checked. @default 1000 */
  readonly checkMs?: number;
  readonly log: Pick<Logger, 'info' | 'warn'>;
  readonly now?: () => number;
}

/**
 * The running state, freshness check and tick hand-off every live broker feed (Kite, Upstox,
 * Angel One) shares; the subclass subscribes its universe and decodes its broker's messages.
 */
export abstract class LiveFeed implements MarketDataFeed {
  abstract readonly name: string;
  protected readonly freshness: FeedFreshness;
  /** Messages are handled only between `start` and `stop`. */
  protected running = false;
  protected onTick: (tick: Tick) => void = () => undefined;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly live: LiveFeedOptions,
    connected: () => boolean,
  ) {
    this.freshness = new FeedFreshness({
      staleSeconds: live.staleSeconds,
      connected,
      log: live.log,
      now: live.now,
    });
  }

  start(onTick: (tick: Tick) => void): void {
    this.onTick = onTick;
    this.running = true;
    this.subscribeOnStart();
    this.timer = setInterval(() => this.freshness.check(), this.live.checkMs ?? 1000);
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  lastUpdates() {
    return this.freshness.lastUpdates();
  }

  /** Whether the last check found the feed stale. */
  isStale(): boolean {
    return this.freshness.isStale();
  }

  /** Epoch ms now, on the feed's clock. */
  protected now(): number {
    return (this.live.now ?? Date.now)();
  }

  /** Subscribes the universe as the feed starts. */
  protected abstract subscribeOnStart(): void;
}
