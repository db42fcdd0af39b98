import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { DispatchResult } from '../../services/ops/dispatch';
import type { OpsContext } from '../../services/ops/platform/ports';
import { handleOperatorEvent, recordOutcome } from '../shared/operator-events';
import { opsContext } from '../shared/ops-context';
import { powertools } from '../shared/powertools';

const { logger, metrics, tracer } = powertools('control');

/** The other control actions, which need the VPC (the service API, the database). */
export function handleControl(event: unknown, ctx: OpsContext): Promise<DispatchResult> {
  return handleOperatorEvent(event, ctx, [
    'halt',
    'pause',
    'unpause',
    'flatten',
    'reset-risk-halt',
    'status',
    'audit-verify',
  ]);
}

const lambdaHandler = async (event: unknown): Promise<DispatchResult> => {
  const result = await handleControl(event, await opsContext((c) => tracer.captureAWSv3Client(c)));
  recordOutcome(metrics, result);
  logger.info('control action finished', { kind: result.kind });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
