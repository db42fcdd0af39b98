import { describeError } from '../../../common/aws-errors';

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
}

/** A call through the breaker did not finish within its `callTimeoutMs`. */
export class CallTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. @default 5 */
  readonly failureThreshold?: number;
  /** Time open before one trial call is let through (HALF_OPEN). @default 30000 */
  readonly resetTimeoutMs?: number;
  /**
   * Every call (the half-open trial included) fails after this long and its signal is aborted:
   * a call that never returns must not hold the breaker. @default 5000
   */
  readonly callTimeoutMs?: number;
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
 * it again. Every call has its own timeout, so a trial that hangs fails like any other and the
 * next trial comes; `probe` lets a caller with no traffic find out that the dependency is back.
 * `reset` closes it by hand (the caller audits who did).
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
  private readonly callTimeoutMs: number;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    options: CircuitBreakerOptions = {},
  ) {
    this.threshold = options.failureThreshold ?? 5;
    this.resetTimeoutMs = options.resetTimeoutMs ?? 30_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Runs `fn` through the breaker. `isFailure` decides which errors count against the upstream
   * (a broker's refusal of an order is an answer, not an outage). `fn` gets a signal that is
   * aborted when the call times out; the breaker does not wait for `fn` past that either way.
   */
  async run<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    isFailure: (error: unknown) => boolean = () => true,
  ): Promise<T> {
    const state = this.state();
    if (state === 'OPEN' || (state === 'HALF_OPEN' && this.trialInFlight)) {
      throw new CircuitOpenError(`${this.name} circuit is ${state}: ${this.lastError ?? ''}`);
    }
    const trial = state === 'HALF_OPEN';
    if (trial) this.trialInFlight = true;
    try {
      const result = await this.timed(fn);
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

  /**
   * Runs `fn` as the trial if the breaker is due one (HALF_OPEN, none in flight); otherwise does
   * nothing. Returns whether the breaker is CLOSED afterwards. For dependencies that see no
   * traffic while the breaker is open (nothing else would ever close it).
   */
  async probe(fn: (signal: AbortSignal) => Promise<unknown>): Promise<boolean> {
    if (this.state() === 'HALF_OPEN' && !this.trialInFlight) {
      await this.run(fn).catch(() => undefined);
    }
    return this.state() === 'CLOSED';
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

  private async timed<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new CallTimeoutError(
          `${this.name} did not answer within ${this.callTimeoutMs} ms`,
        );
        controller.abort(error);
        reject(error);
      }, this.callTimeoutMs);
    });
    try {
      return await Promise.race([fn(controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Why calls are refused, for an operator (a halt input's cause); undefined while CLOSED. */
  openCause(): string | undefined {
    const state = this.state();
    return state === 'CLOSED'
      ? undefined
      : `${this.name} circuit breaker ${state}: ${this.lastError ?? 'no error recorded'}`;
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

/** The trading service's breakers: around the broker and around the flag store. */
export interface ServiceBreakers {
  readonly broker: CircuitBreaker;
  readonly parameters: CircuitBreaker;
}

/**
 * The service's breakers: the broker's (its calls time out after `brokerTimeoutMs`) and the
 * parameter store's (a flag read answers within the watcher's 2 s or counts as failed).
 */
export function serviceBreakers(options: {
  /** How long a breaker stays OPEN before its trial call. @default 30000 broker, 10000 flag store */
  readonly breakerResetMs?: number;
  /** @default 5000 */
  readonly brokerTimeoutMs?: number;
}): ServiceBreakers {
  return {
    broker: new CircuitBreaker('broker', {
      failureThreshold: 5,
      resetTimeoutMs: options.breakerResetMs ?? 30_000,
      callTimeoutMs: options.brokerTimeoutMs ?? 5000,
    }),
    parameters: new CircuitBreaker('parameter-store', {
      failureThreshold: 5,
      resetTimeoutMs: options.breakerResetMs ?? 10_000,
      callTimeoutMs: 2000,
    }),
  };
}
