import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { METRIC_DIMENSIONS, OPS_METRICS } from '../../contract/metrics';
import { ScheduledProcedureNameSchema } from '../../contract/operator-events';
import { parseOrThrow } from '../../contract/validation';
import { EVERY_CONTEXT_PART } from '../../services/ops/platform/aws/aws-context';
import type { ChecklistReport } from '../../services/ops/procedures/checklist';
import { runScheduled } from '../../services/ops/procedures/scheduled';
import { lambdaOpsContext } from './ops-context';
import { powertools } from './powertools';

/** The Lambda handler of the scheduled function that runs `PROCEDURE`. */
export function scheduledHandler(env: NodeJS.ProcessEnv = process.env) {
  const name = parseOrThrow(ScheduledProcedureNameSchema, env.PROCEDURE, 'PROCEDURE variable');
  const { logger, metrics, tracer } = powertools(name);
  // One bundle runs every scheduled procedure; between them they look at everything.
  const opsContext = lambdaOpsContext({
    parts: EVERY_CONTEXT_PART,
    instrument: (c) => tracer.captureAWSv3Client(c),
    env,
  });
  const lambdaHandler = async (event: unknown): Promise<ChecklistReport> => {
    metrics.addDimensions({ [METRIC_DIMENSIONS.procedure]: name });
    try {
      const report = await runScheduled(await opsContext(), name, event);
      // What the "checklist did not run" alarms watch; FAILed checks are counted apart.
      metrics.addMetric(OPS_METRICS.procedureCompleted, MetricUnit.Count, 1);
      metrics.addMetric(
        OPS_METRICS.checksFailed,
        MetricUnit.Count,
        report.results.filter((r) => r.status === 'FAIL').length,
      );
      logger.info(`${name} ${report.status}`, {
        status: report.status,
        tradingDay: report.tradingDay,
        reportKey: report.reportKey,
        deliveryErrors: report.deliveryErrors,
      });
      return report;
    } catch (error) {
      metrics.addMetric(OPS_METRICS.procedureFailed, MetricUnit.Count, 1);
      logger.error(`${name} could not run`, error as Error);
      throw error;
    }
  };
  return middy(lambdaHandler)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
