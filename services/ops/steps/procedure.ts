import { randomBytes } from 'node:crypto';
import type { CallerIdentity } from '../../../contract/trading-api';
import type { OpsContext } from '../platform/ports';
import type { Outcome, ProcedureResult, StepRunner } from './runner';

/** The operator's request: who and why (both required, both audited). */
export interface OperatorRequest {
  readonly requestedBy: string;
  readonly reason: string;
}

/** `<prefix>-<YYYYMMDD>T<HHMMSS>-<4 hex>`: sortable, readable in an S3 listing, unique. */
export function procedureId(prefix: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${prefix}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Who asks the trading tasks, and why: the reason names the procedure that asks. */
export function caller(request: OperatorRequest, procedure: string): CallerIdentity {
  return { requestedBy: request.requestedBy, reason: `${procedure}: ${request.reason}` };
}

/** The procedure's result from its steps so far; `outcome` defaults to what they add up to. */
export function finish(
  procedure: string,
  id: string,
  ctx: OpsContext,
  request: OperatorRequest,
  startedAt: number,
  runner: StepRunner,
  outcome: Outcome = runner.outcome(),
  refusals?: string[],
): ProcedureResult {
  return {
    procedure,
    id,
    stage: ctx.stage,
    requestedBy: request.requestedBy,
    reason: request.reason,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(ctx.now()).toISOString(),
    outcome,
    steps: runner.results(),
    ...(refusals ? { refusals } : {}),
  };
}
