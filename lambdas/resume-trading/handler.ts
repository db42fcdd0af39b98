import { opsHandler } from '../shared/ops-handler';

/** Resume trading; the code loads with the first invocation. */
export const handler = opsHandler({
  serviceName: 'resume-trading',
  load: () => (require('./deferred') as typeof import('./deferred')).resumeFunction,
});
