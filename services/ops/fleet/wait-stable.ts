import type { OpsContext } from '../platform/ports';
import { StepFailure } from '../steps/runner';

/**
 * Waits until `service` runs its desired count on a completed rollout, and says so; fails on a
 * failed rollout (the circuit breaker rolled it back) or after `stableTimeoutMs`.
 */
export async function waitStable(ctx: OpsContext, service: string): Promise<string> {
  const deadline = ctx.now() + ctx.settings.stableTimeoutMs;
  for (;;) {
    const d = await ctx.fleet.describe(service);
    if (d.rolloutState === 'FAILED')
      throw new StepFailure(`${service} deployment failed: ${d.events[0]?.message ?? ''}`);
    if (d.rolloutState === 'COMPLETED' && d.runningCount === d.desiredCount) {
      return `${service}: ${d.runningCount}/${d.desiredCount} running, rollout complete`;
    }
    if (ctx.now() > deadline)
      throw new StepFailure(
        `${service} not stable after ${ctx.settings.stableTimeoutMs / 1000} s: ${d.runningCount}/${d.desiredCount} running, ${d.rolloutState}`,
      );
    await ctx.sleep(2000);
  }
}
