import { deferredOpsFunction } from '../shared/ops-runtime';

/**
 * The emergency stop behind its handler: the second file of the function's asset (deferred.js), loaded by
 * the first invocation; its code (function.ts) loads once the secret reads are on the wire.
 */
export const emergencyStopFunction = deferredOpsFunction(
  () => (require('./function') as typeof import('./function')).emergencyStopFunction,
);
