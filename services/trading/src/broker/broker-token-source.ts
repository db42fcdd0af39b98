import type { Logger } from 'pino';
import type { StoredToken, TokenSecretStore } from '../../../common/tokens/token-secret-store';

export interface BrokerTokenSourceOptions {
  /** "Kite", "Upstox", "Angel One": for messages. */
  readonly label: string;
  /** `--broker` of the login command the messages name. */
  readonly broker: string;
  /** The token's name in the store (`tradeops token login --name`). */
  readonly name: string;
  /** Re-read this often. @default 15000 */
  readonly pollMs?: number;
  /** Re-read this often while `urgent()` says so (the broker refuses the token). @default 2000 */
  readonly urgentPollMs?: number;
  readonly urgent?: () => boolean;
  /** Called after a new version was read (a new login), to let the adapter prove it. */
  readonly onChange?: () => void;
  readonly log: Pick<Logger, 'info' | 'warn'>;
}

/**
 * The session a running task uses at its live broker, re-read from the stage's secret store so
 * that a new login (a new secret version) is used without a restart, quickly while the broker
 * refuses the one held. No token at start stops the start: a LIVE task does not come up unable to
 * trade.
 */
export class BrokerTokenSource {
  private value?: StoredToken;
  private timer?: NodeJS.Timeout;
  private lastRead = 0;

  constructor(
    private readonly store: Pick<TokenSecretStore, 'where' | 'readToken'>,
    private readonly options: BrokerTokenSourceOptions,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    if (!this.value)
      throw new Error(
        `no ${this.options.label} access token ${this.options.name} in ${this.store.where}: run "tradeops token login <stage> --broker ${this.options.broker} --name ${this.options.name}"`,
      );
    this.timer = setInterval(() => {
      const every = this.options.urgent?.()
        ? (this.options.urgentPollMs ?? 2000)
        : (this.options.pollMs ?? 15_000);
      if (Date.now() - this.lastRead >= every) void this.refresh();
    }, 500);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  accessToken(): string {
    return this.value?.token.access_token ?? '';
  }

  /** Angel One's feed token (its WebSocket V2 authenticates with it). */
  feedToken(): string {
    return this.value?.token.feed_token ?? '';
  }

  /** Epoch ms; 0 before the first read. */
  expiresAt(): number {
    return this.value ? Date.parse(this.value.token.expires_at) : 0;
  }

  /** Reads the store once; a new version replaces the token held. Read failures keep it. */
  async refresh(): Promise<void> {
    this.lastRead = Date.now();
    try {
      const stored = await this.store.readToken(this.options.name);
      if (!stored || stored.version === this.value?.version) return;
      const first = this.value === undefined;
      this.value = stored;
      if (first) return;
      this.options.log.info(
        {
          name: this.options.name,
          userId: stored.token.user_id,
          expiresAt: stored.token.expires_at,
        },
        `new ${this.options.label} access token read from the secret store`,
      );
      this.options.onChange?.();
    } catch (err) {
      this.options.log.warn(
        { err, name: this.options.name },
        `reading the ${this.options.label} access token failed; keeping the one held`,
      );
    }
  }
}
