import type { OpsContext } from '../platform/ports';
import { auditStep } from '../steps/audit';
import { flagStep } from '../steps/flag';
import { notifyStep } from '../steps/notify';
import { finish, type OperatorRequest, procedureId } from '../steps/procedure';
import type { ProcedureResult, ProgressListener } from '../steps/runner';
import { StepRunner } from '../steps/runner';

/**
 * Halt: the kill flag to "false", nothing else (seed 002, method 1). Every task stops opening
 * positions within its poll interval; exits still run.
 */
export async function halt(
  ctx: OpsContext,
  request: OperatorRequest,
  onProgress?: ProgressListener,
): Promise<ProcedureResult> {
  const started = ctx.now();
  const id = procedureId('halt', started);
  const runner = new StepRunner(onProgress, ctx.sleep);
  const flag = await flagStep(ctx, runner, 'false', request.requestedBy);
  await notifyStep(ctx, runner, 'notify', () => ({
    subject: `[halt] trading disabled on ${ctx.stage} by ${request.requestedBy}`,
    message: `${request.reason}\n\n${flag.step.detail}`,
  }));
  const outcome = runner.outcome();
  await auditStep(ctx, runner, {
    action: 'halt',
    request,
    before: { flag: flag.before ?? null },
    after: { flag: 'false' },
    outcome,
    result: runner.results(),
  });
  return finish('halt', id, ctx, request, started, runner);
}
