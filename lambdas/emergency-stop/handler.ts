import { opsHandler } from '../shared/ops-handler';

/** The emergency stop; its code loads with its first invocation, or at init when provisioned. */
export const handler = opsHandler({
  serviceName: 'emergency-stop',
  load: () => (require('./deferred') as typeof import('./deferred')).emergencyStopFunction,
});
