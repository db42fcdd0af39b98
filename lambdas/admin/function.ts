import type { DispatchResult } from '../../services/ops/actions/action-table';
import { ADMIN_ACTIONS } from '../../services/ops/actions/admin-actions';
import { withDatabaseAdmin } from '../../services/ops/platform/aws/aws-context';
import type { OpsContext } from '../../services/ops/platform/ports';
import { handleOperatorEvent, recordOutcome } from '../shared/operator-events';
import type { OpsFunction } from '../shared/ops-handler';

/** Restart, scale, rollback and restore: audited in the database, so run inside the VPC. */
export function handleAdmin(event: unknown, ctx: OpsContext): Promise<DispatchResult> {
  return handleOperatorEvent(event, ctx, ADMIN_ACTIONS);
}

/** The admin function: the fleet and, for restores, RDS. */
export const adminFunction: OpsFunction<DispatchResult> = {
  parts: [withDatabaseAdmin],
  run: async (event, ctx, { logger, metrics }) => {
    const result = await handleAdmin(event, ctx);
    recordOutcome(metrics, result);
    logger.info('admin action finished', { result });
    return result;
  },
};
