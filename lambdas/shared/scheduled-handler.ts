import { parseOrThrow } from '../../services/common/validation';
import { ScheduledProcedureNameSchema } from '../../services/ops/events';
import { opsHandler } from './ops-handler';

/**
 * The Lambda handler of the scheduled function that runs `PROCEDURE`. The name is checked at init,
 * so a misconfigured function fails its cold start; the procedures load with the first invocation.
 */
export function scheduledHandler(env: NodeJS.ProcessEnv = process.env) {
  const name = parseOrThrow(ScheduledProcedureNameSchema, env.PROCEDURE, 'PROCEDURE variable');
  return opsHandler({
    serviceName: name,
    load: () =>
      (require('./scheduled-function') as typeof import('./scheduled-function')).scheduledFunction(
        name,
      ),
    env,
  });
}
