import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { OPS_METRICS } from '../../contract/metrics';
import { AlarmEventSchema } from '../../contract/operator-events';
import { parseOrThrow } from '../../contract/validation';
import type { DispatchResult } from '../../services/ops/actions/action-table';
import { KILL_ACTIONS } from '../../services/ops/actions/kill-actions';
import { withLogsAndAlarms } from '../../services/ops/platform/aws/aws-context';
import type { OpsContext } from '../../services/ops/platform/ports';
import { emergencyStop } from '../../services/ops/procedures/emergency-stop';
import { handleOperatorEvent, recordOutcome } from '../shared/operator-events';
import { lambdaOpsContext } from '../shared/ops-context';
import { powertools } from '../shared/powertools';

const { logger, metrics, tracer } = powertools('emergency-stop');
// The kill and the incident bundle's logs and alarms: no backup, export or checklist code.
const opsContext = lambdaOpsContext({
  parts: [withLogsAndAlarms],
  instrument: (c) => tracer.captureAWSv3Client(c),
});

/**
 * The emergency stop, from an operator (CLI, dashboard) or from an auto-kill alarm through
 * EventBridge. An alarm delivered twice stops once: the alarm name and its state change time
 * make the de-duplication key.
 */
export async function handleEmergencyStop(
  event: unknown,
  ctx: OpsContext,
): Promise<DispatchResult> {
  if (event && typeof event === 'object' && 'detail-type' in event) {
    const alarm = parseOrThrow(AlarmEventSchema, event, 'alarm event').detail;
    const result = await emergencyStop(
      { ...ctx, source: 'alarm' },
      {
        requestedBy: `alarm:${alarm.alarmName}`,
        reason: `alarm ${alarm.alarmName} in ${alarm.state.value}: ${alarm.state.reason ?? 'no reason given'}`,
        scaleToZero: false,
        dedupeKey: `alarm:${alarm.alarmName}:${alarm.state.timestamp}`,
      },
    );
    return { kind: 'procedure', result };
  }
  return handleOperatorEvent(event, ctx, KILL_ACTIONS);
}

const lambdaHandler = async (event: unknown, context: Context): Promise<DispatchResult> => {
  const ctx = await opsContext();
  // A dedupe claim stays in progress only as long as this invocation can run (Powertools
  // idempotency's in-progress expiry): a redelivery after a timeout runs the stop again.
  const result = await handleEmergencyStop(event, {
    ...ctx,
    settings: { ...ctx.settings, invocationExpiryMs: context.getRemainingTimeInMillis() },
  });
  recordOutcome(metrics, result);
  metrics.addMetric(OPS_METRICS.killExecuted, MetricUnit.Count, 1);
  logger.info('emergency stop finished', { result });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
