import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_DIMENSIONS, OPS_METRICS } from '../../contract/metrics';
import { type OperatorAction, OperatorEventSchema } from '../../contract/operator-events';
import { parseOrThrow, ValidationError } from '../../contract/validation';
import {
  type ActionTable,
  actionsOf,
  type DispatchResult,
  runAction,
  runsAction,
} from '../../services/ops/actions/action-table';
import type { OpsContext } from '../../services/ops/platform/ports';

/**
 * An operator event (from the CLI or the dashboard) for one of the actions of this function's
 * `table`: parsed at the edge, then run by the table's runner. An action of another function is
 * refused, naming the ones this function runs.
 */
export async function handleOperatorEvent<A extends OperatorAction>(
  event: unknown,
  ctx: OpsContext,
  table: ActionTable<A>,
): Promise<DispatchResult> {
  const parsed = parseOrThrow(OperatorEventSchema, event, 'operator event');
  if (!runsAction(table, parsed.action)) {
    throw new ValidationError(
      `Invalid operator event: action: this function runs ${actionsOf(table).join(', ')} (got "${parsed.action}")`,
      [],
    );
  }
  return runAction(table, ctx, parsed as Extract<typeof parsed, { action: A }>);
}

/** One count per procedure run, by outcome: what the alarms on the ops functions watch. */
export function recordOutcome(metrics: Metrics, result: DispatchResult): void {
  if (result.kind !== 'procedure') return;
  metrics.addDimensions({
    [METRIC_DIMENSIONS.procedure]: result.result.procedure,
    [METRIC_DIMENSIONS.outcome]: result.result.outcome,
  });
  metrics.addMetric(OPS_METRICS.procedureRuns, MetricUnit.Count, 1);
}
