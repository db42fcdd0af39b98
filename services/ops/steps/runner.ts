import { describeError, isTransient } from '../../common/aws-errors';
import { type RetryOptions, retry } from '../../common/retry';

export type StepStatus = 'ok' | 'failed' | 'skipped';

/** One step of a procedure: what happened, how long it took, how often it was tried. */
export interface StepResult {
  readonly name: string;
  readonly status: StepStatus;
  readonly detail: string;
  readonly error?: string;
  readonly durationMs: number;
  readonly attempts: number;
}

export type Outcome = 'OK' | 'PARTIAL' | 'FAILED' | 'REFUSED';

/** The answer of every procedure: each step, and what it adds up to. */
export interface ProcedureResult {
  readonly procedure: string;
  readonly id: string;
  readonly stage: string;
  readonly requestedBy: string;
  readonly reason: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: Outcome;
  readonly steps: readonly StepResult[];
  /** Why a refused procedure changed nothing. */
  readonly refusals?: readonly string[];
}

/** A step's own verdict: `skipped` with its reason, or `ok` with a detail. */
export type StepOutput = string | { readonly status: 'ok' | 'skipped'; readonly detail: string };

/** Thrown inside a step to fail it with a message and no retry. */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
}

export interface StepOptions {
  /** Retry transient failures (throttling, 5xx, network) with backoff: only for idempotent steps. */
  readonly retry?: Pick<RetryOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs'>;
  /**
   * The step fails if it has not finished by then (all attempts together): a dependency that
   * hangs is a step that could not run, never a wait without end.
   */
  readonly timeoutMs?: number;
}

/** Rejects with a StepFailure when `work` has not settled within `ms` (no limit if undefined). */
export function withinTimeout<T>(work: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StepFailure(`did not finish within ${ms} ms (timed out)`)),
      ms,
    );
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Told when each step starts and ends: the CLI prints progress from it. */
export type ProgressListener = (event: {
  step: string;
  phase: 'start' | 'end';
  result?: StepResult;
}) => void;

/**
 * Runs the steps of a procedure. A step never throws: a failure is recorded and the next step
 * runs anyway; the emergency stop depends on that.
 */
export class StepRunner {
  private readonly done: StepResult[] = [];

  constructor(
    private readonly onProgress: ProgressListener = () => undefined,
    private readonly sleep?: (ms: number) => Promise<void>,
  ) {}

  async run(
    name: string,
    fn: () => Promise<StepOutput>,
    options: StepOptions = {},
  ): Promise<StepResult> {
    const started = performance.now();
    let attempts = 0;
    this.onProgress({ step: name, phase: 'start' });
    let result: StepResult;
    try {
      const output = await withinTimeout(
        retry(
          async () => {
            attempts += 1;
            return fn();
          },
          {
            attempts: options.retry?.attempts ?? 1,
            baseDelayMs: options.retry?.baseDelayMs ?? 200,
            maxDelayMs: options.retry?.maxDelayMs ?? 3000,
            retryable: (error) => !(error instanceof StepFailure) && isTransient(error),
            sleep: this.sleep,
          },
        ),
        options.timeoutMs,
      );
      const { status, detail } =
        typeof output === 'string' ? { status: 'ok' as const, detail: output } : output;
      result = {
        name,
        status,
        detail,
        durationMs: Math.round(performance.now() - started),
        attempts,
      };
    } catch (error) {
      result = {
        name,
        status: 'failed',
        detail: error instanceof StepFailure ? error.message : `failed: ${describeError(error)}`,
        error: describeError(error),
        durationMs: Math.round(performance.now() - started),
        attempts,
      };
    }
    this.done.push(result);
    this.onProgress({ step: name, phase: 'end', result });
    return result;
  }

  skip(name: string, why: string): StepResult {
    const result: StepResult = { name, status: 'skipped', detail: why, durationMs: 0, attempts: 0 };
    this.done.push(result);
    this.onProgress({ step: name, phase: 'end', result });
    return result;
  }

  results(): StepResult[] {
    return [...this.done];
  }

  /** OK if nothing failed; FAILED if nothing succeeded; PARTIAL otherwise. */
  outcome(): Outcome {
    const failed = this.done.filter((s) => s.status === 'failed').length;
    const ok = this.done.filter((s) => s.status === 'ok').length;
    if (failed === 0) return 'OK';
    return ok === 0 ? 'FAILED' : 'PARTIAL';
  }
}
