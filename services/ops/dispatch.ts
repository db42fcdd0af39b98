import type { OperatorAction, OperatorEvent } from '../../contract/operator-events';
import { type ActionTable, type DispatchResult, runAction } from './actions/action-table';
import { ADMIN_ACTIONS } from './actions/admin-actions';
import { CONTROL_ACTIONS } from './actions/control-actions';
import { KILL_ACTIONS } from './actions/kill-actions';
import { resumeActions } from './actions/resume-actions';
import type { OpsContext } from './platform/ports';
import type { ReadinessRunner } from './procedures/resume';
import type { ProgressListener } from './steps';

export type { DispatchResult } from './actions/action-table';

/**
 * An operator event to its procedure, for the CLI and the dashboard: every function's actions
 * joined. The ops Lambdas run their own table only (services/ops/actions), so that each bundles
 * the procedures it runs and no others.
 */
export function dispatch(
  ctx: OpsContext,
  event: OperatorEvent,
  deps: { readonly readiness: ReadinessRunner; readonly onProgress?: ProgressListener },
): Promise<DispatchResult> {
  const every = {
    ...KILL_ACTIONS,
    ...resumeActions(deps.readiness),
    ...CONTROL_ACTIONS,
    ...ADMIN_ACTIONS,
  } satisfies ActionTable<OperatorAction>;
  return runAction(every, ctx, event, deps.onProgress);
}
