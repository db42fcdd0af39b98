import type { OpsContext } from '../platform/ports';
import type { StepOutput, StepResult, StepRunner } from './runner';

/**
 * Runs a step an enabling action depends on, with the enabling timeout: if it failed, threw or
 * timed out, that is a refusal. A step that already gave its own refusal is not repeated.
 */
export async function gateStep(
  ctx: OpsContext,
  runner: StepRunner,
  refusals: string[],
  name: string,
  fn: () => Promise<StepOutput>,
  timeoutMs: number = ctx.settings.enablingStepTimeoutMs,
): Promise<StepResult> {
  const before = refusals.length;
  const step = await runner.run(name, fn, { timeoutMs });
  if (step.status === 'failed' && refusals.length === before)
    refusals.push(`${name} could not run: ${step.detail}`);
  return step;
}
