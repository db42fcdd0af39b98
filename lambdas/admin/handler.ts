import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { DispatchResult } from '../../services/ops/actions/action-table';
import { ADMIN_ACTIONS } from '../../services/ops/actions/admin-actions';
import { withDatabaseAdmin } from '../../services/ops/platform/aws/aws-context';
import type { OpsContext } from '../../services/ops/platform/ports';
import { handleOperatorEvent, recordOutcome } from '../shared/operator-events';
import { lambdaOpsContext } from '../shared/ops-context';
import { powertools } from '../shared/powertools';

const { logger, metrics, tracer } = powertools('admin');
// The fleet and, for restores, RDS.
const opsContext = lambdaOpsContext({
  parts: [withDatabaseAdmin],
  instrument: (c) => tracer.captureAWSv3Client(c),
});

/** Restart, scale, rollback and restore: audited in the database, so run inside the VPC. */
export function handleAdmin(event: unknown, ctx: OpsContext): Promise<DispatchResult> {
  return handleOperatorEvent(event, ctx, ADMIN_ACTIONS);
}

const lambdaHandler = async (event: unknown): Promise<DispatchResult> => {
  const result = await handleAdmin(event, await opsContext());
  recordOutcome(metrics, result);
  logger.info('admin action finished', { result });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
