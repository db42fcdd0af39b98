import { describeError } from '../../../common/aws-errors';

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
}

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. @default 5 */
  readonly failureThreshold?: number;
  /** Time open before one trial call is let through (HALF_OPEN). @default 30000 */
  readonly resetTimeoutMs?: number;
  readonly now?: () => number;
}

export interface BreakerSnapshot {
  readonly name: string;
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  readonly failureThreshold: number;
  readonly openedAt?: number;
  /** When an OPEN breaker will let a trial through (epoch ms). */
  readonly halfOpenAt?: number;
  readonly lastError?: string;
  readonly lastResetBy?: string;
}

/**
 * CLOSED -> OPEN after `failureThreshold` consecutive failures; OPEN refuses calls at once;
 * after `resetTimeoutMs` the next call is a trial (HALF_OPEN): success closes it, failure opens
 * it again. `reset` closes it by hand (the caller audits who did).
 */
export class CircuitBreaker {
  private current: BreakerState = 'CLOSED';
  private failures = 0;
  private openedAt?: number;
  private lastError?: string;
  private lastResetBy?: string;
  private trialInFlight = false;
  private readonly threshold: number;
  private readonly resetTimeoutMs: number;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    options: CircuitBreakerOptions = {},
  ) {
    this.threshold = options.failureThreshold ?? 5;
    this.resetTimeoutMs = options.resetTimeoutMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Runs `fn` through the breaker. `isFailure` decides which errors count against the upstream
   * (a broker's refusal of an order is an answer, not an outage).
   */
  async run<T>(
    fn: () => Promise<T>,
    isFailure: (error: unknown) => boolean = () => true,
  ): Promise<T> {
    const state = this.state();
    if (state === 'OPEN' || (state === 'HALF_OPEN' && this.trialInFlight)) {
      throw new CircuitOpenError(`${this.name} circuit is ${state}: ${this.lastError ?? ''}`);
    }
    const trial = state === 'HALF_OPEN';
    if (trial) this.trialInFlight = true;
    try {
      const result = await fn();
      this.failures = 0;
      this.current = 'CLOSED';
      this.openedAt = undefined;
      return result;
    } catch (error) {
      if (isFailure(error)) {
        this.failures += 1;
        this.lastError = describeError(error);
        if (trial || this.failures >= this.threshold) {
          this.current = 'OPEN';
          this.openedAt = this.now();
        }
      }
      throw error;
    } finally {
      if (trial) this.trialInFlight = false;
    }
  }

  state(): BreakerState {
    if (
      this.current === 'OPEN' &&
      this.openedAt !== undefined &&
      this.now() - this.openedAt >= this.resetTimeoutMs
    ) {
      this.current = 'HALF_OPEN';
    }
    return this.current;
  }

  reset(by: string): BreakerSnapshot {
    const before = this.snapshot();
    this.current = 'CLOSED';
    this.failures = 0;
    this.openedAt = undefined;
    this.lastResetBy = by;
    return before;
  }

  snapshot(): BreakerSnapshot {
    const state = this.state();
    return {
      name: this.name,
      state,
      consecutiveFailures: this.failures,
      failureThreshold: this.threshold,
      openedAt: this.openedAt,
      halfOpenAt:
        state === 'OPEN' && this.openedAt !== undefined
          ? this.openedAt + this.resetTimeoutMs
          : undefined,
      lastError: this.lastError,
      lastResetBy: this.lastResetBy,
    };
  }
}
