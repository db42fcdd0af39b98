import type { OpsContext } from '../platform/ports';
import type { ProcedureResult, ProgressListener } from '../steps';
import { StepRunner } from '../steps';
import { auditStep, finish, type OperatorRequest, procedureId, setFlag } from './common';

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
  let before: string | undefined;
  const flag = await runner.run(
    'flag',
    async () => {
      const set = await setFlag(ctx, 'false', request.requestedBy);
      before = set.before;
      return set.detail;
    },
    { retry: { attempts: 4 } },
  );
  await runner.run(
    'notify',
    async () => {
      await ctx.notifier.publish(
        'notify',
        `[halt] trading disabled on ${ctx.stage} by ${request.requestedBy}`,
        `${request.reason}\n\n${flag.detail}`,
      );
      return 'notify topic';
    },
    { retry: { attempts: 3 } },
  );
  const outcome = runner.outcome();
  await auditStep(ctx, runner, {
    action: 'halt',
    request,
    before: { flag: before ?? null },
    after: { flag: 'false' },
    outcome,
    result: runner.results(),
  });
  return finish('halt', id, ctx, request, started, runner);
}
