import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { DispatchResult } from '../../services/ops/dispatch';
import type { OpsContext } from '../../services/ops/platform/ports';
import { handleOperatorEvent, recordOutcome } from '../shared/operator-events';
import { opsContext } from '../shared/ops-context';
import { powertools } from '../shared/powertools';

const { logger, metrics, tracer } = powertools('admin');

/** Restart, scale, rollback and restore: audited in the database, so run inside the VPC. */
export function handleAdmin(event: unknown, ctx: OpsContext): Promise<DispatchResult> {
  return handleOperatorEvent(event, ctx, ['restart', 'scale', 'rollback', 'restore']);
}

const lambdaHandler = async (event: unknown): Promise<DispatchResult> => {
  const result = await handleAdmin(event, await opsContext((c) => tracer.captureAWSv3Client(c)));
  recordOutcome(metrics, result);
  logger.info('admin action finished', { result });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
