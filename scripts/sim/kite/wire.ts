import type { SimRefusal } from '../shared/sim-order';

/**
 * Kite Connect v3's wire conventions shared by every route of the simulator: the error envelope
 * and the exception names the official SDKs switch on (the IST timestamps the SDK turns into
 * `Date`s are `istTimestamp` of shared/units.ts: it converts only 19-character strings).
 */

/** The `error_type` values Kite documents; the SDK rejects with the envelope as it came. */
export type KiteErrorType =
  | 'TokenException'
  | 'UserException'
  | 'OrderException'
  | 'InputException'
  | 'MarginException'
  | 'NetworkException'
  | 'DataException'
  | 'GeneralException'
  | 'PermissionException';

/** An error the simulator answers as `{status:"error", error_type, message, data:null}`. */
export class KiteApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly errorType: KiteErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'KiteApiError';
  }

  /** The JSON body Kite sends with this error. */
  toEnvelope() {
    return { status: 'error', message: this.message, data: null, error_type: this.errorType };
  }
}

/** Kite's answer to a missing, wrong, expired or invalidated access token. */
export const invalidTokenError = () =>
  new KiteApiError(403, 'TokenException', 'Incorrect `api_key` or `access_token`.');

/** A bad parameter: Kite names the parameter in backquotes. */
export const inputError = (message: string) => new KiteApiError(400, 'InputException', message);

/** The engine's refusal as Kite answers it: a bad input, or an order past changing. */
export const kiteRefusal = (refusal: SimRefusal) =>
  refusal.kind === 'state'
    ? new KiteApiError(400, 'OrderException', refusal.message)
    : inputError(refusal.message);

/** The rate limiter's answer (Kite's gateway sends 429 with this message). */
export const tooManyRequestsError = () =>
  new KiteApiError(429, 'NetworkException', 'Too many requests');

const IST_OFFSET_MS = 330 * 60_000;

/**
 * When a Kite access token dies: about 06:00 IST on the day after the login (Kite's documented
 * daily flush), as epoch milliseconds.
 */
export function nextTokenFlush(loginEpochMs: number): number {
  const ist = new Date(loginEpochMs + IST_OFFSET_MS);
  const flushIst = Date.UTC(ist.getUTCFullYear(), ist.getUTCMonth(), ist.getUTCDate() + 1, 6, 0, 0);
  return flushIst - IST_OFFSET_MS;
}
