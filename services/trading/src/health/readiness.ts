import type { FlagSnapshot } from '../flag/flag-watcher';
import type { FeedHealth } from './feed-health';

/** One line of the readiness answer. */
export interface ReadinessCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * What readiness looks at. Read one after the other, after the database answered (or not), so
 * that a slow database does not make the other answers stale.
 */
export interface ReadinessInputs {
  /** Runs `SELECT 1` (or equivalent); throws when the database does not answer. */
  pingDatabase(): Promise<unknown>;
  broker(): { readonly name: string; readonly connected: boolean };
  feed(): FeedHealth | undefined;
  marketOpen(): boolean;
  flag(): FlagSnapshot;
  readonly flagMaxStalenessMs: number;
  started(): boolean;
}

/**
 * Readiness: database, broker, feed (while the market is open), a fresh flag read and a finished
 * start. Ready only when every check passes.
 */
export async function readiness(
  inputs: ReadinessInputs,
): Promise<{ ready: boolean; checks: ReadinessCheck[] }> {
  const checks: ReadinessCheck[] = [];
  try {
    await inputs.pingDatabase();
    checks.push({ name: 'database', ok: true, detail: 'reachable' });
  } catch (error) {
    checks.push({ name: 'database', ok: false, detail: String(error) });
  }
  const broker = inputs.broker();
  checks.push({
    name: 'broker',
    ok: broker.connected,
    detail: `${broker.name}: ${broker.connected ? 'connected' : 'disconnected'}`,
  });
  const feed = inputs.feed();
  const marketOpen = inputs.marketOpen();
  checks.push({
    name: 'feed',
    ok: !marketOpen || feed?.status === 'FRESH',
    detail: `${feed?.source}: ${feed?.status} (tick lag ${feed?.tick_lag_sec ?? 'n/a'} s)${marketOpen ? '' : ', market closed'}`,
  });
  const flag = inputs.flag();
  const fresh =
    flag.readAt !== undefined &&
    (flag.ageSeconds ?? Number.POSITIVE_INFINITY) * 1000 <= inputs.flagMaxStalenessMs;
  checks.push({
    name: 'flag',
    ok: fresh && flag.status !== 'MISSING',
    detail: `${flag.status}, value ${JSON.stringify(flag.value ?? null)}, age ${flag.ageSeconds ?? 'n/a'} s`,
  });
  const started = inputs.started();
  checks.push({
    name: 'started',
    ok: started,
    detail: started ? 'strategies reconciled' : 'starting',
  });
  return { ready: checks.every((c) => c.ok), checks };
}
