import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRIC_DIMENSIONS, METRIC_NAMESPACE } from '../../contract/metrics';

/** The three Powertools instances of one function, created once per container. */
export function powertools(serviceName: string) {
  const stage = process.env.STAGE ?? 'unknown';
  return {
    logger: new Logger({ serviceName, persistentKeys: { stage } }),
    metrics: new Metrics({
      namespace: METRIC_NAMESPACE,
      serviceName,
      defaultDimensions: { [METRIC_DIMENSIONS.stage]: stage },
    }),
    tracer: new Tracer({ serviceName }),
  };
}
