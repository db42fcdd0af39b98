import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { DispatchResult } from '../../services/ops/dispatch';
import type { OpsContext } from '../../services/ops/platform/ports';
import { handleOperatorEvent, recordOutcome } from '../shared/operator-events';
import { opsContext } from '../shared/ops-context';
import { powertools } from '../shared/powertools';

const { logger, metrics, tracer } = powertools('resume-trading');

/** Resume: refusals first, then the service back, checks, and the flag last. */
export function handleResume(event: unknown, ctx: OpsContext): Promise<DispatchResult> {
  return handleOperatorEvent(event, ctx, ['resume']);
}

const lambdaHandler = async (event: unknown): Promise<DispatchResult> => {
  const result = await handleResume(event, await opsContext((c) => tracer.captureAWSv3Client(c)));
  recordOutcome(metrics, result);
  logger.info('resume finished', { result });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
