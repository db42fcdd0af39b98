import type { Pool } from 'pg';
import { messageOf } from '../../../common/errors';
import { isDatabaseUnavailable } from '../health/database-health';

export interface HeldLease {
  readonly strategyId: string;
  readonly fenceToken: number;
  /** Local time until which this task may act on the lease without renewing (epoch ms). */
  readonly trustedUntil: number;
  /**
   * The last renewal could not reach the database. Past `trustedUntil` such a lease still
   * allows exits (a kill must not wait for the database), never entries.
   */
  readonly outage?: boolean;
}

/** Entries need a lease trusted now; exits also accept one kept through a database outage. */
export type LeasePurpose = 'entry' | 'exit';

export interface LeaseEvents {
  /** The lease is now ours under `fenceToken`; take over the strategy's orders and positions. */
  onAcquired(strategyId: string, fenceToken: number): Promise<void>;
  /** The lease is gone (expired, taken, or could not be renewed in time): stop the strategy. */
  onLost(strategyId: string, why: string): void;
}

export interface LeaseManagerOptions {
  readonly taskId: string;
  readonly ttlMs: number;
  readonly now?: () => number;
  /** A round failed unexpectedly; the next round tries again. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Each strategy runs in exactly one task. A lease in PostgreSQL names the holder and a fence
 * token that grows with every new holder; a round (renew what is held, try to take what is free)
 * runs every fifth of the TTL, so a dead task's strategies move within about 1.2 TTL. The task
 * stops trusting a lease for entries a safety margin before it could expire, and the order insert
 * itself checks holder and token (see the order repository), so a task that lost its lease
 * cannot send an entry for it. While the database is unreachable nobody can take a lease over,
 * so the holder keeps it for exits (see `HeldLease.outage`), and renews it when the database
 * returns if holder and token are unchanged (nobody took it in between).
 */
export class LeaseManager {
  private readonly held = new Map<string, HeldLease>();
  private strategyIds: readonly string[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly db: Pool,
    private readonly options: LeaseManagerOptions,
    private readonly events: LeaseEvents,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Sets the strategies to compete for (on start and on reload); releases those removed. */
  async setStrategies(strategyIds: readonly string[]): Promise<void> {
    const removed = this.strategyIds.filter((id) => !strategyIds.includes(id));
    this.strategyIds = [...strategyIds];
    if (strategyIds.length > 0) {
      await this.db.query(
        'INSERT INTO strategy_leases (strategy_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING',
        [strategyIds],
      );
    }
    await this.release(removed);
  }

  start(): void {
    const interval = Math.max(100, Math.floor(this.options.ttlMs / 5));
    this.timer = setInterval(() => {
      this.tick().catch((error: unknown) => this.options.onError?.(error));
    }, interval);
  }

  /** One round: renew what we hold, pick up what nobody holds. Serialized. */
  tick(): Promise<void> {
    if (!this.running) {
      this.running = this.round().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /** The lease if this task may act on it now, for an entry or (default) for an exit. */
  lease(strategyId: string, purpose: LeasePurpose = 'entry'): HeldLease | undefined {
    const lease = this.held.get(strategyId);
    if (!lease || this.now() < lease.trustedUntil) return lease;
    if (lease.outage) return purpose === 'exit' ? lease : undefined;
    this.held.delete(strategyId);
    this.events.onLost(strategyId, 'not renewed in time');
    return undefined;
  }

  heldStrategies(purpose: LeasePurpose = 'entry'): string[] {
    return [...this.held.keys()].filter((id) => this.lease(id, purpose) !== undefined);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.release([...this.held.keys()]);
  }

  private async round(): Promise<void> {
    const ttl = `${this.options.ttlMs} milliseconds`;
    const margin = this.options.ttlMs / 4;
    for (const [strategyId, lease] of [...this.held]) {
      const startedAt = this.now();
      try {
        // Holder and token unchanged means nobody took it over (taking over bumps the token), even
        // if it lapsed during an outage.
        const { rowCount } = await this.db.query(
          `UPDATE strategy_leases SET expires_at = now() + $4::interval, renewed_at = now()
            WHERE strategy_id = $1 AND holder = $2 AND fence_token = $3`,
          [strategyId, this.options.taskId, lease.fenceToken, ttl],
        );
        if (rowCount === 1) {
          this.held.set(strategyId, {
            ...lease,
            trustedUntil: startedAt + this.options.ttlMs - margin,
            outage: false,
          });
        } else {
          this.held.delete(strategyId);
          this.events.onLost(strategyId, 'taken over or expired');
        }
      } catch (error) {
        // Unreachable database: entries stop trusting the lease when it could have expired;
        // exits keep it, as nobody can take it over meanwhile.
        if (isDatabaseUnavailable(error)) this.held.set(strategyId, { ...lease, outage: true });
        this.lease(strategyId);
      }
    }
    for (const strategyId of this.strategyIds) {
      if (this.held.has(strategyId)) continue;
      const startedAt = this.now();
      let token: number | undefined;
      try {
        const { rows } = await this.db.query<{ fence_token: string }>(
          `UPDATE strategy_leases
              SET holder = $2, fence_token = fence_token + 1, expires_at = now() + $3::interval,
                  acquired_at = now(), renewed_at = now()
            WHERE strategy_id = $1 AND (holder IS NULL OR expires_at <= now())
            RETURNING fence_token`,
          [strategyId, this.options.taskId, ttl],
        );
        token = rows[0] ? Number(rows[0].fence_token) : undefined;
      } catch {
        token = undefined;
      }
      if (token === undefined) continue;
      this.held.set(strategyId, {
        strategyId,
        fenceToken: token,
        trustedUntil: startedAt + this.options.ttlMs - margin,
      });
      try {
        await this.events.onAcquired(strategyId, token);
      } catch (error) {
        // Taking over failed (e.g. reconciliation): do not run the strategy half-initialised.
        await this.release([strategyId]);
        this.events.onLost(strategyId, `take-over failed: ${messageOf(error)}`);
      }
    }
  }

  private async release(strategyIds: readonly string[]): Promise<void> {
    if (strategyIds.length === 0) return;
    for (const id of strategyIds) this.held.delete(id);
    await this.db
      .query(
        `UPDATE strategy_leases SET holder = NULL, expires_at = '-infinity'
          WHERE strategy_id = ANY($1) AND holder = $2`,
        [strategyIds, this.options.taskId],
      )
      .catch(() => undefined);
  }
}
