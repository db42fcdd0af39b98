import { describeError, isAccessDenied } from '../../common/aws-errors';
import { withTimeout } from '../../common/retry';

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL' | 'SKIPPED';
export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';

export interface CheckOutcome {
  readonly status: CheckStatus;
  readonly detail: string;
  readonly data?: unknown;
}

/** One check: small, independent, and allowed to fail without taking the others with it. */
export interface Check<C> {
  readonly name: string;
  readonly severity: Severity;
  /** @default the run's timeout */
  readonly timeoutMs?: number;
  /** `signal` aborts when the check times out: a check that streams or waits stops then. */
  run(ctx: C, signal: AbortSignal): Promise<CheckOutcome>;
}

export interface CheckResult extends CheckOutcome {
  readonly name: string;
  readonly severity: Severity;
  readonly durationMs: number;
}

export const pass = (detail: string, data?: unknown): CheckOutcome => ({
  status: 'PASS',
  detail,
  data,
});
export const warn = (detail: string, data?: unknown): CheckOutcome => ({
  status: 'WARN',
  detail,
  data,
});
export const fail = (detail: string, data?: unknown): CheckOutcome => ({
  status: 'FAIL',
  detail,
  data,
});
export const skipped = (detail: string): CheckOutcome => ({ status: 'SKIPPED', detail });

/** The IAM action an AccessDenied names (`... not authorized to perform: rds:CreateDBSnapshot on ...`). */
function deniedAction(error: unknown): string | undefined {
  return /perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)/.exec(describeError(error))?.[1];
}

/** One check under its timeout: a check that throws or times out is a FAIL that says why. */
async function runOne<C>(check: Check<C>, ctx: C, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const abort = new AbortController();
  let outcome: CheckOutcome;
  try {
    outcome = await withTimeout(
      check.run(ctx, abort.signal),
      check.timeoutMs ?? timeoutMs,
      `check ${check.name}`,
    );
  } catch (error) {
    abort.abort(error);
    outcome = fail(
      isAccessDenied(error)
        ? `missing permission ${deniedAction(error) ?? '(action not named)'}: ${describeError(error)}`
        : describeError(error),
    );
  }
  return {
    name: check.name,
    severity: check.severity,
    ...outcome,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Runs every check at once, each with its own timeout: the wall time is that of the slowest
 * check, and the run never crashes.
 */
export function runChecks<C>(
  checks: readonly Check<C>[],
  ctx: C,
  timeoutMs: number,
): Promise<CheckResult[]> {
  return Promise.all(checks.map((check) => runOne(check, ctx, timeoutMs)));
}

/**
 * Runs steps one after the other (a backup must exist before it is verified), each with its own
 * timeout; a failed step does not stop the next ones, which decide for themselves what is left
 * to do.
 */
export async function runSteps<C>(
  steps: readonly Check<C>[],
  ctx: C,
  timeoutMs: number,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const step of steps) results.push(await runOne(step, ctx, timeoutMs));
  return results;
}
