import type { Logger } from 'pino';
import type { KiteSecretStore } from '../../../../common/kite/kite-secret-store';

export interface KiteTokenSourceOptions {
  /** The token's name in the store (`tradeops token login --name`). */
  readonly name: string;
  /** Re-read this often. @default 15000 */
  readonly pollMs?: number;
  /** Re-read this often while `urgent()` says so (Kite refuses the token). @default 2000 */
  readonly urgentPollMs?: number;
  readonly urgent?: () => boolean;
  /** Called after a new version was read (a new login), to let the adapter prove it. */
  readonly onChange?: () => void;
  readonly log: Pick<Logger, 'info' | 'warn'>;
}

/**
 * The access token a running task uses, re-read from the stage's secret store so that a new
 * login (a new secret version) is used without a restart; quickly while Kite refuses the one held.
 * No token at start stops the start: a LIVE task does not come up unable to trade.
 */
export class KiteTokenSource {
  private value?: { accessToken: string; expiresAt: number; version: string };
  private timer?: NodeJS.Timeout;
  private lastRead = 0;

  constructor(
    private readonly store: KiteSecretStore,
    private readonly options: KiteTokenSourceOptions,
  ) {}

  /** Reads the token (throws when none is stored) and starts re-reading it. */
  async start(): Promise<void> {
    await this.refresh();
    if (!this.value)
      throw new Error(
        `no Kite access token ${this.options.name} in ${this.store.where}: run "tradeops token login <stage> --broker kite --name ${this.options.name}"`,
      );
    const tick = 500;
    this.timer = setInterval(() => {
      const every = this.options.urgent?.()
        ? (this.options.urgentPollMs ?? 2000)
        : (this.options.pollMs ?? 15_000);
      if (Date.now() - this.lastRead >= every) void this.refresh();
    }, tick);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The access token held now. */
  accessToken(): string {
    return this.value?.accessToken ?? '';
  }

  /** Its stored expiry (epoch ms); 0 before the first read. */
  expiresAt(): number {
    return this.value?.expiresAt ?? 0;
  }

  /** Reads the store once; a new version replaces the token held. Read failures keep it. */
  async refresh(): Promise<void> {
    this.lastRead = Date.now();
    try {
      const stored = await this.store.readToken(this.options.name);
      if (!stored || stored.version === this.value?.version) return;
      const first = this.value === undefined;
      this.value = {
        accessToken: stored.token.access_token,
        expiresAt: Date.parse(stored.token.expires_at),
        version: stored.version,
      };
      if (!first) {
        this.options.log.info(
          {
            name: this.options.name,
            userId: stored.token.user_id,
            expiresAt: stored.token.expires_at,
          },
          'new Kite access token read from the secret store',
        );
        this.options.onChange?.();
      }
    } catch (err) {
      this.options.log.warn(
        { err, name: this.options.name },
        'reading the Kite access token failed; keeping the one held',
      );
    }
  }
}
