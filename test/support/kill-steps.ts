/** What a kill does once trading is halted, each step's status when all goes well. */
const AFTER_THE_HALT = [
  ['cancel-working-orders', 'ok'],
  ['flatten', 'ok'],
  ['verify-flat', 'ok'],
  ['scale-to-zero', 'skipped'],
  ['incident-bundle', 'ok'],
  ['page', 'ok'],
  ['audit', 'ok'],
];

/**
 * The steps of a clean kill (emergencyStop) that keeps the service running, in order, as
 * `[name, status]`: compare with `result.steps.map((s) => [s.name, s.status])`.
 */
export const CLEAN_KILL_STEPS = [
  ['flag', 'ok'],
  ['flatten-request', 'ok'],
  ['push-halt', 'ok'],
  ...AFTER_THE_HALT,
];

/** The same for a kill of one algo: its halt instead of the flag, no service-wide halt. */
export const CLEAN_ALGO_KILL_STEPS = [
  ['algo-halt', 'ok'],
  ['push-algo-halt', 'ok'],
  ['flatten-request', 'ok'],
  ['push-halt', 'skipped'],
  ...AFTER_THE_HALT,
];
