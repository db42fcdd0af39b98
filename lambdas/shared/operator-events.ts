import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { parseOrThrow, ValidationError } from '../../services/common/validation';
import { type DispatchResult, dispatch } from '../../services/ops/dispatch';
import { type OperatorAction, OperatorEventSchema } from '../../services/ops/events';
import type { OpsContext } from '../../services/ops/platform/ports';
import { runReadinessCheck } from '../../services/ops/procedures/morning';

/**
 * An operator event (from the CLI or the dashboard) for one of `allowed` actions: parsed at the
 * edge, then handed to the one dispatcher.
 */
export async function handleOperatorEvent(
  event: unknown,
  ctx: OpsContext,
  allowed: readonly OperatorAction[],
): Promise<DispatchResult> {
  const parsed = parseOrThrow(OperatorEventSchema, event, 'operator event');
  if (!allowed.includes(parsed.action)) {
    throw new ValidationError(
      `Invalid operator event: action: this function runs ${allowed.join(', ')} (got "${parsed.action}")`,
      [],
    );
  }
  return dispatch(ctx, parsed, { readiness: runReadinessCheck });
}

/** One count per procedure run, by outcome: what the alarms on the ops functions watch. */
export function recordOutcome(metrics: Metrics, result: DispatchResult): void {
  if (result.kind !== 'procedure') return;
  metrics.addDimensions({ Procedure: result.result.procedure, Outcome: result.result.outcome });
  metrics.addMetric('ProcedureRuns', MetricUnit.Count, 1);
}
