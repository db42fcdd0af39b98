/**
 * Kite Connect v3's wire conventions shared by every route of the simulator: the error envelope,
 * the exception names the official SDKs switch on, and the "YYYY-MM-DD HH:MM:SS" IST timestamps
 * the SDK turns into `Date`s (it converts only 19-character strings).
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

/** The rate limiter's answer (Kite's gateway sends 429 with this message). */
export const tooManyRequestsError = () =>
  new KiteApiError(429, 'NetworkException', 'Too many requests');

const IST_OFFSET_MS = 330 * 60_000;

/** Epoch milliseconds as Kite prints them: IST wall-clock time, 19 characters. */
export function kiteTimestamp(epochMs: number): string {
  return new Date(epochMs + IST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** Paise (the simulator's integer price unit) to the rupee value Kite's JSON carries. */
export const rupees = (paise: number): number => Math.round(paise) / 100;

/**
 * A rupee price from a request to integer paise. Returns undefined when the value has more
 * precision than a paisa, which Kite refuses like an off-tick price.
 */
export function toPaise(rupeeValue: number): number | undefined {
  const paise = Math.round(rupeeValue * 100);
  return Math.abs(paise - rupeeValue * 100) < 1e-6 ? paise : undefined;
}

/**
 * When a Kite access token dies: about 06:00 IST on the day after the login (Kite's documented
 * daily flush), as epoch milliseconds.
 */
export function nextTokenFlush(loginEpochMs: number): number {
  const ist = new Date(loginEpochMs + IST_OFFSET_MS);
  const flushIst = Date.UTC(ist.getUTCFullYear(), ist.getUTCMonth(), ist.getUTCDate() + 1, 6, 0, 0);
  return flushIst - IST_OFFSET_MS;
}
