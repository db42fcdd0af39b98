import { scheduledHandler } from '../shared/scheduled-handler';

/** One code for the six scheduled functions; each one's PROCEDURE variable names its procedure. */
export const handler = scheduledHandler((name) =>
  (require('./deferred') as typeof import('./deferred')).scheduledFunction(name),
);
