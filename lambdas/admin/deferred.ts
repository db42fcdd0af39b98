import { deferredOpsFunction } from '../shared/ops-runtime';

/**
 * The admin actions behind its handler: the second file of the function's asset (deferred.js), loaded by
 * the first invocation; its code (function.ts) loads once the secret reads are on the wire.
 */
export const adminFunction = deferredOpsFunction(
  () => (require('./function') as typeof import('./function')).adminFunction,
);
