import type { Connect } from 'kiteconnect';
import type { Logger } from 'pino';
import { isTokenError, isTransient, kiteError } from './kite-wire';

export interface KiteCallsOptions {
  /** Read before every call: a token renewed in Secrets Manager is used at once. */
  readonly accessToken: () => string;
  /** Extra attempts of a read after a 429, NetworkException or 5xx. @default 3 */
  readonly readRetries?: number;
  /** @default 200, doubled per attempt */
  readonly readBackoffMs?: number;
  readonly log: Pick<Logger, 'info' | 'error'>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every call to Kite's REST API goes through here: with the token held now, turning the SDK's
 * rejection into a `KiteApiError` in Kite's words, recording the first token refusal (the service
 * halts on it) and clearing it at the first accepted call. Reads are repeated with backoff after
 * a 429, a NetworkException or a 5xx; a placement never is (the caller decides).
 */
export class KiteCalls {
  private problem?: { readonly message: string; readonly at: number };

  constructor(
    readonly kite: Connect,
    private readonly options: KiteCallsOptions,
  ) {}

  /** Kite's words for the refused token and when it was first refused; undefined while accepted. */
  tokenProblem(): { readonly message: string; readonly at: number } | undefined {
    return this.problem;
  }

  /** One call to Kite. */
  async call<T>(send: () => Promise<T>): Promise<T> {
    this.kite.setAccessToken(this.options.accessToken());
    try {
      const result = await send();
      if (this.problem) this.options.log.info('Kite accepts the access token again');
      this.problem = undefined;
      return result;
    } catch (raw) {
      const error = kiteError(raw);
      if (isTokenError(error) && !this.problem) {
        this.problem = { message: error.message, at: Date.now() };
        this.options.log.error({ err: error }, 'Kite refused the access token: trading halts');
      }
      throw error;
    }
  }

  /** A read: repeated with backoff after a 429, a NetworkException or a 5xx. */
  async read<T>(send: () => Promise<T>): Promise<T> {
    const retries = this.options.readRetries ?? 3;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.call(send);
      } catch (error) {
        if (!isTransient(error) || attempt >= retries) throw error;
        await sleep((this.options.readBackoffMs ?? 200) * 2 ** attempt);
      }
    }
  }
}
