import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { DispatchResult } from '../../services/ops/actions/action-table';
import { resumeActions } from '../../services/ops/actions/resume-actions';
import { EVERY_CONTEXT_PART } from '../../services/ops/platform/aws/aws-context';
import type { OpsContext } from '../../services/ops/platform/ports';
import { runReadinessCheck } from '../../services/ops/procedures/morning';
import { handleOperatorEvent, recordOutcome } from '../shared/operator-events';
import { lambdaOpsContext } from '../shared/ops-context';
import { powertools } from '../shared/powertools';

const { logger, metrics, tracer } = powertools('resume-trading');
// A resume runs the morning checks for readiness: they look at everything.
const opsContext = lambdaOpsContext({
  parts: EVERY_CONTEXT_PART,
  instrument: (c) => tracer.captureAWSv3Client(c),
});
const RESUME_ACTIONS = resumeActions(runReadinessCheck);

/** Resume: refusals first, then the service back, checks, and the flag last. */
export function handleResume(event: unknown, ctx: OpsContext): Promise<DispatchResult> {
  return handleOperatorEvent(event, ctx, RESUME_ACTIONS);
}

const lambdaHandler = async (event: unknown): Promise<DispatchResult> => {
  const result = await handleResume(event, await opsContext());
  recordOutcome(metrics, result);
  logger.info('resume finished', { result });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
