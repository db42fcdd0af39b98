import { opsHandler } from '../shared/ops-handler';

/** Restart, scale, rollback and restore; the code loads with the first invocation. */
export const handler = opsHandler({
  serviceName: 'admin',
  load: () => (require('./deferred') as typeof import('./deferred')).adminFunction,
});
