import type { ScheduledProcedureName } from '../../contract/scheduled-procedures';
import { deferredOpsFunction } from '../shared/ops-runtime';

/**
 * The scheduled function that runs `name`, behind its handler: the second file of the function's
 * asset (deferred.js), loaded by the first invocation; the procedures load once the secret reads
 * are on the wire.
 */
export const scheduledFunction = (name: ScheduledProcedureName) =>
  deferredOpsFunction(() =>
    (
      require('../shared/scheduled-function') as typeof import('../shared/scheduled-function')
    ).scheduledFunction(name),
  );
