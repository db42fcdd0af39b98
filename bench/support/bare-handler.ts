import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';

/**
 * The floor of the Lambda bundle bench: a handler with Powertools' logger and middy and no
 * procedure, bundled as the ops functions are. What a function loads beyond this is ours.
 */
const logger = new Logger({ serviceName: 'bare' });

export const handler = middy(async (event: unknown) => {
  logger.info('bare handler', { event });
  return { ok: true };
}).use(injectLambdaContext(logger));
