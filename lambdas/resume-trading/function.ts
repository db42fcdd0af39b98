import type { DispatchResult } from '../../services/ops/actions/action-table';
import { resumeActions } from '../../services/ops/actions/resume-actions';
import { EVERY_CONTEXT_PART } from '../../services/ops/platform/aws/aws-context';
import type { OpsContext } from '../../services/ops/platform/ports';
import { runReadinessCheck } from '../../services/ops/procedures/morning';
import { handleOperatorEvent, recordOutcome } from '../shared/operator-events';
import type { OpsFunction } from '../shared/ops-handler';

const RESUME_ACTIONS = resumeActions(runReadinessCheck);

/** Resume: refusals first, then the service back, checks, and the flag last. */
export function handleResume(event: unknown, ctx: OpsContext): Promise<DispatchResult> {
  return handleOperatorEvent(event, ctx, RESUME_ACTIONS);
}

/** The resume function; a resume runs the morning checks for readiness, which look at everything. */
export const resumeFunction: OpsFunction<DispatchResult> = {
  parts: EVERY_CONTEXT_PART,
  run: async (event, ctx, { logger, metrics }) => {
    const result = await handleResume(event, ctx);
    recordOutcome(metrics, result);
    logger.info('resume finished', { result });
    return result;
  },
};
