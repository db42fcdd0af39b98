import { tradingTasks } from '../fleet/trading-tasks';
import type { OpsContext } from '../platform/ports';
import { algoHaltSteps } from '../steps/algo';
import { auditStep } from '../steps/audit';
import { flagStep } from '../steps/flag';
import { notifyStep } from '../steps/notify';
import { caller, finish, type OperatorRequest, procedureId } from '../steps/procedure';
import type { ProcedureResult, ProgressListener } from '../steps/runner';
import { StepRunner } from '../steps/runner';

export interface HaltRequest extends OperatorRequest {
  /** Halt this exchange algo ID only (its strategies); the flag and the other algos stay. */
  readonly algoId?: string;
}

/**
 * Halt: the kill flag to "false", nothing else (seed 002, method 1). Every task stops opening
 * positions within its poll interval; exits still run. With `algoId`, the exchange's per-algo
 * kill switch instead: that algo's entries stop on every task, the others trade on.
 */
export async function halt(
  ctx: OpsContext,
  request: HaltRequest,
  onProgress?: ProgressListener,
): Promise<ProcedureResult> {
  if (request.algoId !== undefined)
    return haltAlgo(ctx, { ...request, algoId: request.algoId }, onProgress);
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

async function haltAlgo(
  ctx: OpsContext,
  request: HaltRequest & { readonly algoId: string },
  onProgress?: ProgressListener,
): Promise<ProcedureResult> {
  const started = ctx.now();
  const id = procedureId('halt-algo', started);
  const runner = new StepRunner(onProgress, ctx.sleep);
  const tasks = await tradingTasks(ctx).catch(() => undefined);
  const halted = await algoHaltSteps(
    ctx,
    runner,
    request,
    request.algoId,
    caller(request, `halt algo ${request.algoId}`),
    tasks,
  );
  await notifyStep(ctx, runner, 'notify', () => ({
    subject: `[halt] algo ${request.algoId} halted on ${ctx.stage} by ${request.requestedBy}`,
    message: `${request.reason}\n\n${runner
      .results()
      .map((s) => `${s.name}: ${s.detail}`)
      .join('\n')}`,
  }));
  await auditStep(ctx, runner, {
    action: 'halt-algo',
    request,
    before: { algoId: request.algoId, halted: halted.wasHalted ?? null },
    after: { algoId: request.algoId, halted: true, stored: halted.stored },
    // A halt nobody stored is no halt: FAILED even if a task applied it in memory.
    outcome: halted.stored ? runner.outcome() : 'FAILED',
    result: runner.results(),
  });
  return finish('halt', id, ctx, request, started, runner, halted.stored ? undefined : 'FAILED');
}
