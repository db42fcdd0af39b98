/** How a broker socket backs off between reconnects. */
export interface ReconnectOptions {
  /** First reconnect delay, doubled per failed attempt. @default 500 */
  readonly reconnectBaseMs?: number;
  /** @default 30000 */
  readonly reconnectMaxMs?: number;
}

/**
 * A socket's redials with exponential backoff: at most one pending, the delay doubled per attempt
 * up to the cap, back to the first delay once a connection opens.
 */
export class ReconnectBackoff {
  private attempts = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly options: ReconnectOptions,
    private readonly redial: () => void,
  ) {}

  /** Redials after the next delay, unless a redial is already pending. */
  schedule(): void {
    if (this.timer) return;
    const base = this.options.reconnectBaseMs ?? 500;
    const delay = Math.min(this.options.reconnectMaxMs ?? 30_000, base * 2 ** this.attempts);
    this.attempts += 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.redial();
    }, delay);
  }

  /** A connection opened: the next drop redials after the first delay again. */
  opened(): void {
    this.attempts = 0;
  }

  /** Drops the pending redial. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
