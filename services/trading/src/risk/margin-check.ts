import { messageOf } from '../../../common/errors';
import type { Broker, BrokerMargin } from '../broker/broker';
import type { OrderRequest } from '../domain';

/** The broker capability the check reads (`Broker.margin` and `Broker.marginRate`). */
export interface MarginSource {
  margin(): Promise<BrokerMargin>;
  marginRate(strategyId: string): number;
}

/** The broker's margin capability, if it has one (both calls). */
export function marginSourceOf(broker: Broker): MarginSource | undefined {
  const { margin, marginRate } = broker;
  if (!margin || !marginRate) return undefined;
  return {
    margin: () => margin.call(broker),
    marginRate: (strategyId) => marginRate.call(broker, strategyId),
  };
}

export interface MarginCheckOptions {
  /** A reading older than this (from when it was asked for) is unknown margin. @default 5000 */
  readonly maxAgeMs?: number;
  readonly now?: () => number;
}

const inr = (x: number) => `INR ${Math.round(x).toLocaleString('en-IN')}`;

/**
 * The pre-trade margin check: the broker's available margin, read in the background (`refresh`,
 * every second) so that the check itself stays in memory, must cover an entry's estimated
 * requirement (value x the product's margin rate). Entries admitted since the last reading are
 * reserved against it until a reading asked for after them replaces it, so a burst cannot spend
 * one reading twice. Fail closed: no reading, a stale one or a failed last read refuses.
 */
export class MarginCheck {
  private reading?: { availableInr: number; askedAt: number };
  private failure?: string;
  /** Requirements of entries admitted, numbered: a reading asked for after one includes it. */
  private reservations: Array<{ inr: number; seq: number }> = [];
  private seq = 0;
  private readonly now: () => number;

  constructor(
    private readonly source: MarginSource,
    private readonly options: MarginCheckOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Asks the broker; a failure is kept (and refuses entries) until a read succeeds. */
  async refresh(): Promise<void> {
    const askedAt = this.now();
    const askedSeq = this.seq;
    try {
      const { availableInr } = await this.source.margin();
      this.reading = { availableInr, askedAt };
      this.failure = undefined;
      this.reservations = this.reservations.filter((r) => r.seq > askedSeq);
    } catch (error) {
      this.failure = messageOf(error);
    }
  }

  /**
   * Why the entry cannot be covered (undefined: it can, and its requirement is now reserved).
   * `price` is the price the entry is valued at (its limit, else the last price).
   */
  refusal(order: OrderRequest, price: number): string | undefined {
    const now = this.now();
    if (this.failure)
      return `margin unknown: the broker's margins could not be read (${this.failure})`;
    if (!this.reading) return 'margin unknown: not read from the broker yet';
    const age = now - this.reading.askedAt;
    if (age > (this.options.maxAgeMs ?? 5000))
      return `margin unknown: the last reading is ${Math.round(age / 1000)} s old`;
    const rate = this.source.marginRate(order.strategyId);
    const required = price * order.quantity * rate;
    const reserved = this.reservations.reduce((sum, r) => sum + r.inr, 0);
    const available = this.reading.availableInr - reserved;
    if (required > available)
      return `entry needs about ${inr(required)} of margin (${inr(price * order.quantity)} at ${rate * 100}%), ${inr(available)} available at the broker${reserved > 0 ? ` after ${inr(reserved)} held for entries just sent` : ''}`;
    this.seq += 1;
    this.reservations.push({ inr: required, seq: this.seq });
    return undefined;
  }
}
