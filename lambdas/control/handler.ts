import { opsHandler } from '../shared/ops-handler';

/** Halt, pause, flatten, status and the audit walk; the code loads with the first invocation. */
export const handler = opsHandler({
  serviceName: 'control',
  load: () => (require('./deferred') as typeof import('./deferred')).controlFunction,
});
