import type { Pool } from 'pg';

export interface RiskEvent {
  readonly kind: 'REJECT' | 'BREACH' | 'STATE';
  readonly rule: string;
  readonly strategyId?: string;
  readonly symbol?: string;
  readonly detail: Record<string, unknown>;
  readonly at: number;
}

const MAX_BUFFERED = 10_000;

/**
 * Risk events are written in batches off the order path: a rejection must cost microseconds, not
 * a round trip. If the database is down the buffer is bounded: the oldest events go first.
 */
export class RiskEventWriter {
  private buffer: RiskEvent[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly db: Pool,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
  }

  record(event: RiskEvent): void {
    if (this.buffer.length >= MAX_BUFFERED) {
      this.buffer.shift();
    }
    this.buffer.push(event);
  }

  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.db
      .query(
        `INSERT INTO risk_events (occurred_at, kind, rule, strategy_id, symbol, detail)
         SELECT to_timestamp(e.at / 1000.0), e.kind, e.rule, e.strategy_id, e.symbol, e.detail
           FROM jsonb_to_recordset($1::jsonb)
             AS e(at float8, kind text, rule text, strategy_id text, symbol text, detail jsonb)`,
        [
          JSON.stringify(
            batch.map((e) => ({
              at: e.at,
              kind: e.kind,
              rule: e.rule,
              strategy_id: e.strategyId ?? null,
              symbol: e.symbol ?? null,
              detail: e.detail,
            })),
          ),
        ],
      )
      .then(() => undefined)
      .catch((error: unknown) => {
        // Put the batch back (bounded) and try again next round.
        this.buffer = [...batch, ...this.buffer].slice(-MAX_BUFFERED);
        this.onError(error);
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  /** Writes what is buffered, including events recorded while a flush was already under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.buffer.length) await this.flush();
  }
}
