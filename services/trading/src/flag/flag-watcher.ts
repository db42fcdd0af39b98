import {
  type FlattenRequest,
  FlattenRequestSchema,
  NO_FLATTEN_REQUEST_ID,
} from '../../../../contract/flatten-request';
import { describeError } from '../../../common/aws-errors';
import type { ParameterStore, ParameterValue } from '../../../common/parameters/parameter-store';
import { withTimeout } from '../../../common/retry';

/** What the service knows of the flag. Exposed as-is in `/state`. */
export interface FlagSnapshot {
  readonly parameter: string;
  readonly source: 'ssm' | 'local';
  /** Result of the last read. */
  readonly status: 'NEVER_READ' | 'OK' | 'MISSING' | 'UNREADABLE';
  /** Raw value last read, garbage included. */
  readonly value?: string;
  readonly version?: number;
  /** When the value was last written (epoch ms). */
  readonly lastModified?: number;
  /** Last successful read (epoch ms). */
  readonly readAt?: number;
  /** Seconds since the last successful read. */
  readonly ageSeconds?: number;
  /** Error of the last failed read. */
  readonly lastError?: string;
  /** Whether new entries are allowed by the flag: exactly "true", fresh, not halted by push. */
  readonly enabled: boolean;
  /** Why `enabled` is what it is, in words an operator can act on. */
  readonly reason: string;
  readonly pushedHalt?: PushedHalt;
}

export interface PushedHalt {
  readonly at: number;
  readonly requestedBy: string;
  readonly reason: string;
  /** Flag version at the time of the push: only a newer `true` lifts the halt. */
  readonly flagVersion: number;
}

export interface FlagWatcherOptions {
  readonly flagParameter: string;
  readonly flattenRequestParameter: string;
  readonly pollMs: number;
  readonly maxStalenessMs: number;
  /** A read slower than this counts as failed. @default 2000 */
  readonly readTimeoutMs?: number;
  readonly now?: () => number;
  readonly random?: () => number;
  /** A listener threw; polling goes on. */
  readonly onError?: (error: unknown) => void;
}

export interface FlagListener {
  /** After every read or push; the state machine decides whether anything changed. */
  onFlag(snapshot: FlagSnapshot): void;
  /**
   * A well-formed flatten request with an id other than "none", on every read (handling it once
   * per id is the listener's job). `writtenAt` is when the parameter was last written.
   */
  onFlattenRequest(request: FlattenRequest, writtenAt: number): void;
  /** A flatten request that is not valid JSON {id, reason, requester}. */
  onInvalidFlattenRequest(raw: string, problem: string): void;
}

/**
 * Polls the kill flag and the flatten request together (one GetParameters call) every `pollMs`,
 * jittered by +/-20% so that tasks do not poll in step. Fails closed: only exactly "true"
 * (trimmed) enables trading; a missing parameter, a value read longer ago than `maxStalenessMs`
 * and a pushed halt all disable it.
 */
export class FlagWatcher {
  private status: FlagSnapshot['status'] = 'NEVER_READ';
  private last?: ParameterValue;
  private readAt?: number;
  private lastError?: string;
  private pushed?: PushedHalt;
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    private readonly store: ParameterStore,
    private readonly options: FlagWatcherOptions,
    private readonly listener: FlagListener,
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  start(): void {
    this.stopped = false;
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    // A listener that throws must not end the polling: no reads would mean a stale flag.
    await this.poll().catch((error: unknown) => this.options.onError?.(error));
    if (this.stopped) return;
    const jitter = 0.8 + 0.4 * this.random();
    this.timer = setTimeout(() => void this.loop(), Math.round(this.options.pollMs * jitter));
  }

  /** One read of both parameters. Public so that tests and start-up can drive it. */
  async poll(): Promise<FlagSnapshot> {
    const { flagParameter, flattenRequestParameter } = this.options;
    try {
      const controller = new AbortController();
      const read = await withTimeout(
        this.store.getParameters([flagParameter, flattenRequestParameter], controller.signal),
        this.options.readTimeoutMs ?? 2000,
        'reading the flag',
      ).finally(() => controller.abort());
      this.readAt = this.now();
      this.lastError = undefined;
      const flag = read.found.get(flagParameter);
      if (flag) {
        this.status = 'OK';
        this.last = flag;
        if (this.pushed && flag.version > this.pushed.flagVersion && isTrue(flag.value))
          this.pushed = undefined;
      } else {
        this.status = 'MISSING';
        this.last = undefined;
      }
      const flatten = read.found.get(flattenRequestParameter);
      if (flatten) this.handleFlattenRequest(flatten);
    } catch (error) {
      this.status = 'UNREADABLE';
      this.lastError = describeError(error);
    }
    const snap = this.snapshot();
    this.listener.onFlag(snap);
    return snap;
  }

  /** The push path: halt now, without waiting for the next read. */
  pushHalt(requestedBy: string, reason: string): FlagSnapshot {
    this.pushed = { at: this.now(), requestedBy, reason, flagVersion: this.last?.version ?? 0 };
    const snap = this.snapshot();
    this.listener.onFlag(snap);
    return snap;
  }

  /**
   * Evaluated on demand (staleness needs no read to happen) with the rules of `evaluate`, minus
   * the words: this runs on every order.
   */
  enabled(): boolean {
    return (
      this.pushed === undefined &&
      this.last !== undefined &&
      (this.status === 'OK' || this.status === 'UNREADABLE') &&
      this.now() - (this.readAt ?? 0) <= this.options.maxStalenessMs &&
      isTrue(this.last.value)
    );
  }

  snapshot(): FlagSnapshot {
    const { enabled, reason } = this.evaluate();
    const now = this.now();
    return {
      parameter: this.options.flagParameter,
      source: this.store.kind,
      status: this.status,
      value: this.last?.value,
      version: this.last?.version,
      lastModified: this.last?.lastModified,
      readAt: this.readAt,
      ageSeconds:
        this.readAt === undefined ? undefined : Math.round((now - this.readAt) / 100) / 10,
      lastError: this.lastError,
      enabled,
      reason,
      pushedHalt: this.pushed,
    };
  }

  private evaluate(): { enabled: boolean; reason: string } {
    if (this.pushed) {
      return {
        enabled: false,
        reason: `halt pushed by ${this.pushed.requestedBy}: ${this.pushed.reason}`,
      };
    }
    if (this.status === 'NEVER_READ') return { enabled: false, reason: 'flag not read yet' };
    if (this.status === 'MISSING') {
      return {
        enabled: false,
        reason: `flag parameter ${this.options.flagParameter} does not exist`,
      };
    }
    const age = this.now() - (this.readAt ?? 0);
    if (!this.last || age > this.options.maxStalenessMs) {
      return {
        enabled: false,
        reason: `flag unreadable for ${Math.round(age / 1000)} s (limit ${this.options.maxStalenessMs / 1000} s): ${this.lastError ?? 'no successful read'}`,
      };
    }
    if (!isTrue(this.last.value))
      return { enabled: false, reason: `flag is ${JSON.stringify(this.last.value)}` };
    return { enabled: true, reason: 'flag is "true"' };
  }

  private handleFlattenRequest(parameter: ParameterValue): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(parameter.value);
    } catch {
      this.listener.onInvalidFlattenRequest(parameter.value, 'not JSON');
      return;
    }
    const result = FlattenRequestSchema.safeParse(parsed);
    if (!result.success) {
      this.listener.onInvalidFlattenRequest(
        parameter.value,
        result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
      return;
    }
    if (result.data.id !== NO_FLATTEN_REQUEST_ID)
      this.listener.onFlattenRequest(result.data, parameter.lastModified);
  }
}

/** The one rule: exactly "true" after trimming whitespace. */
export function isTrue(value: string): boolean {
  return value.trim() === 'true';
}
