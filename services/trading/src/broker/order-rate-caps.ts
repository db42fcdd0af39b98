import { type BrokerOrderCaps, orderRatePerSecond } from '../../../../contract/broker-order-caps';
import type { SlotRefusal } from './order-rate-slots';
import type { BrokerWindowCaps, OrderCap } from './order-rate-store';

/** The daily cap is asked about again at most this often (a new IST day frees it). */
export const DAY_CAP_RECHECK_MS = 1000;

/**
 * The caps one client's order messages are counted against: the stage's per-second window (the
 * tighter of the stage's limit and the broker's own), the broker's minute, hour and day. Names
 * the cap a refusal met, as the reject reason and the log say it.
 */
export class OrderRateCaps {
  readonly perSecond: number;
  readonly store: BrokerWindowCaps;

  /** `minuteMs`, `hourMs`: the broker's windows, shorter only in tests. */
  constructor(
    stageLimit: number,
    readonly windowMs: number,
    private readonly broker: BrokerOrderCaps | undefined,
    { minuteMs = 60_000, hourMs = 3_600_000 }: { minuteMs?: number; hourMs?: number } = {},
  ) {
    this.perSecond = orderRatePerSecond(stageLimit, broker);
    this.store = {
      perMinute: broker?.perMinute ?? null,
      minuteMs,
      perHour: broker?.perHour ?? null,
      hourMs,
      perDay: broker?.perDay ?? null,
    };
  }

  /** Why a slot was refused at `cap` (the per-second window when unknown). */
  why(cap: OrderCap | null | undefined): string {
    const label = this.broker?.label ?? 'the broker';
    if (cap === 'minute') return `${label}'s ${this.store.perMinute} orders a minute are taken`;
    if (cap === 'hour') return `${label}'s ${this.store.perHour} orders an hour are taken`;
    if (cap === 'day')
      return `${label}'s ${this.store.perDay} orders a day are used up (until the next IST day)`;
    if (this.broker?.perSecond === this.perSecond)
      return `${label}'s ${this.perSecond} orders a second are taken`;
    return `the client's ${this.perSecond} messages per ${this.windowMs} ms are taken`;
  }

  /** The refusal of a slot at `cap`: the daily cap is not a wait (nothing frees it today). */
  refusal(cap: OrderCap | null, waitMs: number): SlotRefusal {
    if (cap === 'day')
      return { granted: false, retryInMs: DAY_CAP_RECHECK_MS, why: this.why('day'), cap };
    return { granted: false, retryInMs: waitMs, why: this.why(cap), cap: cap ?? 'second' };
  }
}
