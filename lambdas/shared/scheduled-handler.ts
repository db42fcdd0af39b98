import { ScheduledProcedureNameSchema } from '../../contract/operator-events';
import type { ScheduledProcedureName } from '../../contract/scheduled-procedures';
import { parseOrThrow } from '../../contract/validation';
import type { ChecklistReport } from '../../services/ops/procedures/checklist';
import { opsHandler } from './ops-handler';
import type { DeferredOpsFunction } from './ops-runtime';

/**
 * The Lambda handler of the scheduled function that runs `PROCEDURE`. The name is checked at init,
 * so a misconfigured function fails its cold start; `load` (a lazy `require` of the function's
 * second file, lambdas/scheduled/deferred.ts) runs with the first invocation.
 */
export function scheduledHandler(
  load: (name: ScheduledProcedureName) => DeferredOpsFunction<ChecklistReport>,
  env: NodeJS.ProcessEnv = process.env,
) {
  const name = parseOrThrow(ScheduledProcedureNameSchema, env.PROCEDURE, 'PROCEDURE variable');
  return opsHandler({ serviceName: name, load: () => load(name), env });
}
