import type { MarketDataFeed } from '../market/feed';

export type Freshness = 'FRESH' | 'STALE' | 'OUTDATED';

export interface FeedHealthThresholds {
  /** At most this old: FRESH. @default 5 */
  readonly freshSeconds: number;
  /** At most this old: STALE; older: OUTDATED. @default 30 */
  readonly staleSeconds: number;
}

export interface FeedHealth {
  readonly source: string;
  readonly tick_lag_sec: number | null;
  readonly depth_lag_sec: number | null;
  readonly status: Freshness;
  readonly ticks: Freshness;
  readonly depth: Freshness;
}

export function freshness(lagSeconds: number | null, t: FeedHealthThresholds): Freshness {
  if (lagSeconds === null || lagSeconds > t.staleSeconds) return 'OUTDATED';
  return lagSeconds > t.freshSeconds ? 'STALE' : 'FRESH';
}

const worst = (a: Freshness, b: Freshness): Freshness =>
  a === 'OUTDATED' || b === 'OUTDATED'
    ? 'OUTDATED'
    : a === 'STALE' || b === 'STALE'
      ? 'STALE'
      : 'FRESH';

/** Per-source lag of trade ticks and depth, in real seconds, and what it means. */
export function feedHealth(
  feed: MarketDataFeed,
  thresholds: FeedHealthThresholds,
  now = Date.now(),
): FeedHealth {
  const { ticks, depth } = feed.lastUpdates();
  const lag = (at?: number) => (at === undefined ? null : Math.round((now - at) / 100) / 10);
  const tickLag = lag(ticks);
  const depthLag = lag(depth);
  const tickStatus = freshness(tickLag, thresholds);
  const depthStatus = freshness(depthLag, thresholds);
  return {
    source: feed.name,
    tick_lag_sec: tickLag,
    depth_lag_sec: depthLag,
    status: worst(tickStatus, depthStatus),
    ticks: tickStatus,
    depth: depthStatus,
  };
}
