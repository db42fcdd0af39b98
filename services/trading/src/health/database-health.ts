import type { Pool } from 'pg';
import { messageOf } from '../../../common/errors';
import { withTimeout } from '../../../common/retry';

/** Node socket errors and PostgreSQL SQLSTATEs that mean "no database", not "bad statement". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection error/i,
  /database did not answer/i,
  /Cannot use a pool after calling end/i,
];

/** Whether `error` says the database could not be reached (as opposed to a refused statement). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  // AggregateError (IPv4 and IPv6 both refused) carries the codes on its members.
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  const message = messageOf(error);
  return UNAVAILABLE_MESSAGES.some((re) => re.test(message));
}

/** The database is unreachable: named so, never as the driver's raw error. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

export interface DatabaseHealthSnapshot {
  readonly reachable: boolean;
  /** Since when it is in this condition (epoch ms). */
  readonly since: number;
  readonly lastError?: string;
  readonly lastCheckAt?: number;
}

/**
 * Whether PostgreSQL answers, from a `SELECT 1` every round and from the errors the service's
 * own statements meet (so an order that met a dead connection halts at once, not at the next
 * probe). Starts unreachable: unknown is down. Recovery needs a probe that answered.
 */
export class DatabaseHealth {
  private ok = false;
  private since: number;
  private lastError?: string = 'not checked yet';
  private lastCheckAt?: number;
  private probing?: Promise<boolean>;
  private readonly listeners: Array<(reachable: boolean) => void> = [];

  constructor(
    private readonly db: Pool,
    private readonly timeoutMs = 2000,
    private readonly now: () => number = Date.now,
  ) {
    this.since = now();
  }

  reachable(): boolean {
    return this.ok;
  }

  /** Called on every change (down -> up, up -> down). */
  onChange(listener: (reachable: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** One `SELECT 1` within the timeout; concurrent callers share it. */
  probe(): Promise<boolean> {
    this.probing ??= withTimeout(
      this.db.query('SELECT 1'),
      this.timeoutMs,
      'database did not answer: SELECT 1',
    )
      .then(
        () => this.set(true),
        (error: unknown) => this.set(false, messageOf(error)),
      )
      .finally(() => {
        this.probing = undefined;
      });
    return this.probing;
  }

  /** A statement failed: if the database is the reason, it is down from now on. */
  report(error: unknown): void {
    if (isDatabaseUnavailable(error)) this.set(false, messageOf(error));
  }

  /** Why new entries are refused, or undefined while it answers. */
  cause(): string | undefined {
    if (this.ok) return undefined;
    const seconds = Math.round((this.now() - this.since) / 100) / 10;
    return `database unreachable for ${seconds} s: ${this.lastError ?? 'unknown'}`;
  }

  snapshot(): DatabaseHealthSnapshot {
    return {
      reachable: this.ok,
      since: this.since,
      lastError: this.lastError,
      lastCheckAt: this.lastCheckAt,
    };
  }

  private set(ok: boolean, error?: string): boolean {
    this.lastCheckAt = this.now();
    if (!ok) this.lastError = error;
    if (ok !== this.ok) {
      this.ok = ok;
      this.since = this.now();
      for (const listener of this.listeners) listener(ok);
    }
    return ok;
  }
}
