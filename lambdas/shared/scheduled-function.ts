import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_DIMENSIONS, OPS_METRICS } from '../../contract/metrics';
import type { ScheduledProcedureName } from '../../contract/scheduled-procedures';
import { EVERY_CONTEXT_PART } from '../../services/ops/platform/aws/aws-context';
import type { ChecklistReport } from '../../services/ops/procedures/checklist';
import { runScheduled } from '../../services/ops/procedures/scheduled';
import type { OpsFunction } from './ops-handler';

/** The scheduled function that runs `name`. One bundle runs every scheduled procedure: between them they look at everything. */
export function scheduledFunction(name: ScheduledProcedureName): OpsFunction<ChecklistReport> {
  return {
    parts: EVERY_CONTEXT_PART,
    run: async (event, ctx, { logger, metrics }) => {
      metrics.addDimensions({ [METRIC_DIMENSIONS.procedure]: name });
      try {
        const report = await runScheduled(ctx, name, event);
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
    },
  };
}
