import { deferredOpsFunction } from '../shared/ops-runtime';

/**
 * Resume trading behind its handler: the second file of the function's asset (deferred.js), loaded by
 * the first invocation; its code (function.ts) loads once the secret reads are on the wire.
 */
export const resumeFunction = deferredOpsFunction(
  () => (require('./function') as typeof import('./function')).resumeFunction,
);
