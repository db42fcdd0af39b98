import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRIC_DIMENSIONS, METRIC_NAMESPACE } from '../../contract/metrics';

/**
 * The tracer and the metrics of one function, created once per container. The X-Ray SDK under
 * the tracer takes longer to load than the whole bare handler, so an on-demand cold start loads
 * this module with its first invocation; the logger is created at init (ops-handler.ts).
 */
export function tracerAndMetrics(serviceName: string, stage: string) {
  return {
    metrics: new Metrics({
      namespace: METRIC_NAMESPACE,
      serviceName,
      defaultDimensions: { [METRIC_DIMENSIONS.stage]: stage },
    }),
    tracer: new Tracer({ serviceName }),
  };
}
