import type { DispatchResult } from '../../services/ops/actions/action-table';
import { CONTROL_ACTIONS } from '../../services/ops/actions/control-actions';
import type { OpsContext } from '../../services/ops/platform/ports';
import { handleOperatorEvent, recordOutcome } from '../shared/operator-events';
import type { OpsFunction } from '../shared/ops-handler';

/** The other control actions, which need the VPC (the service API, the database). */
export function handleControl(event: unknown, ctx: OpsContext): Promise<DispatchResult> {
  return handleOperatorEvent(event, ctx, CONTROL_ACTIONS);
}

/** The control function: the flag, the tasks' API and the database, the core adapters only. */
export const controlFunction: OpsFunction<DispatchResult> = {
  parts: [],
  run: async (event, ctx, { logger, metrics }) => {
    const result = await handleControl(event, ctx);
    recordOutcome(metrics, result);
    logger.info('control action finished', { kind: result.kind });
    return result;
  },
};
