import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { DispatchResult } from '../../services/ops/actions/action-table';
import { CONTROL_ACTIONS } from '../../services/ops/actions/control-actions';
import type { OpsContext } from '../../services/ops/platform/ports';
import { handleOperatorEvent, recordOutcome } from '../shared/operator-events';
import { lambdaOpsContext } from '../shared/ops-context';
import { powertools } from '../shared/powertools';

const { logger, metrics, tracer } = powertools('control');
// The flag, the tasks' API and the database: the core adapters only.
const opsContext = lambdaOpsContext({
  parts: [],
  instrument: (c) => tracer.captureAWSv3Client(c),
});

/** The other control actions, which need the VPC (the service API, the database). */
export function handleControl(event: unknown, ctx: OpsContext): Promise<DispatchResult> {
  return handleOperatorEvent(event, ctx, CONTROL_ACTIONS);
}

const lambdaHandler = async (event: unknown): Promise<DispatchResult> => {
  const result = await handleControl(event, await opsContext());
  recordOutcome(metrics, result);
  logger.info('control action finished', { kind: result.kind });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
