import type { Logger } from 'pino';
import { VenueError } from './tagged-venue';

export interface VenueCallsOptions {
  /** For the log lines ("Kite", "Upstox"). */
  readonly label: string;
  /** Extra attempts of a read after a transient error (429, 5xx, no answer). @default 3 */
  readonly readRetries?: number;
  /** @default 200, doubled per attempt */
  readonly readBackoffMs?: number;
  readonly log: Pick<Logger, 'info' | 'error'>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every call a tagged broker makes to its venue goes through here: the first token refusal is
 * recorded (the service halts on it) and cleared by the first accepted call; reads are repeated
 * with backoff after a transient error; a placement never is (the caller decides).
 */
export class VenueCalls {
  private problem?: { readonly message: string; readonly at: number };

  constructor(private readonly options: VenueCallsOptions) {}

  /** The venue's words for the refused token and when it was first refused; undefined while accepted. */
  tokenProblem(): { readonly message: string; readonly at: number } | undefined {
    return this.problem;
  }

  /** One call to the venue. */
  async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      const result = await send();
      if (this.problem)
        this.options.log.info(`${this.options.label} accepts the access token again`);
      this.problem = undefined;
      return result;
    } catch (error) {
      if (error instanceof VenueError && error.kind === 'token' && !this.problem) {
        this.problem = { message: error.message, at: Date.now() };
        this.options.log.error(
          { err: error },
          `${this.options.label} refused the access token: trading halts`,
        );
      }
      throw error;
    }
  }

  /** A read: repeated with backoff after a transient error (or one that is not the venue's). */
  async read<T>(send: () => Promise<T>): Promise<T> {
    const retries = this.options.readRetries ?? 3;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.call(send);
      } catch (error) {
        const transient = !(error instanceof VenueError) || error.kind === 'transient';
        if (!transient || attempt >= retries) throw error;
        await sleep((this.options.readBackoffMs ?? 200) * 2 ** attempt);
      }
    }
  }
}
