import type { OpsContext } from '../platform/ports';
import type { StepResult, StepRunner } from './runner';

/** The kill flag's value now; undefined if the parameter does not exist. */
export async function readFlag(ctx: OpsContext): Promise<string | undefined> {
  return (await ctx.parameters.getParameters([ctx.names.flagParameter])).found.get(
    ctx.names.flagParameter,
  )?.value;
}

/**
 * The `flag` step of halt, resume and the emergency stop: the kill flag to `value` as `by`.
 * Returns the step and what the flag was before (the audit's "before"; undefined if the step
 * failed). Idempotent, so the step retries transient failures.
 */
export async function flagStep(
  ctx: OpsContext,
  runner: StepRunner,
  value: 'true' | 'false',
  by: string,
): Promise<{ readonly step: StepResult; readonly before: string | undefined }> {
  let before: string | undefined;
  const step = await runner.run(
    'flag',
    async () => {
      const was = await readFlag(ctx);
      const { version } = await ctx.parameters.putParameter(ctx.names.flagParameter, value, by);
      // Only a write that happened has a "before": a failed step leaves it unknown.
      before = was;
      return `${ctx.names.flagParameter} = "${value}" (version ${version}, was ${JSON.stringify(was ?? null)})`;
    },
    { retry: { attempts: 4 } },
  );
  return { step, before };
}
