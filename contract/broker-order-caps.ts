import type { BrokerKind } from './brokers';

/**
 * A broker's own limits on order messages (new, modify, cancel) for one client account, on top
 * of the exchange's: sliding windows of a second, a minute and an hour, and a count per trading
 * day. Absent: the broker documents none (the stage's own limit still applies).
 */
export interface BrokerOrderCaps {
  readonly perSecond?: number;
  readonly perMinute?: number;
  readonly perHour?: number;
  readonly perDay?: number;
  /** The broker's name as a refusal says it ("Kite's 200 orders a minute"). */
  readonly label: string;
}

/**
 * Kite Connect (Zerodha): 10 order requests a second, 200 orders a minute and 3,000 orders a
 * day, per account across every app (https://kite.trade/docs/connect/v3/exceptions/#api-rate-limit;
 * Zerodha's answers on kite.trade/forum/discussion/comment/46596 and comment/39094). A 2025 forum
 * answer (kite.trade/forum/discussion/comment/52882) cites 400 a minute and 5,000 a day: the
 * lower figures are kept until the documentation page is checked by a person, as the lower cap
 * can only refuse early, never get the account blocked.
 *
 * Angel One SmartAPI: placeOrder, modifyOrder and cancelOrder 20 a second, 500 a minute and
 * 1,000 an hour (https://smartapi.angelbroking.com/topic/4387/changes-in-api-rate-limit). Upstox:
 * no order caps found in its documented limits at the time of writing; only the stage's limit
 * applies.
 */
export const BROKER_ORDER_CAPS: Readonly<Record<BrokerKind, BrokerOrderCaps>> = {
  paper: { label: 'the paper venue' },
  kite: { label: 'Kite', perSecond: 10, perMinute: 200, perDay: 3000 },
  upstox: { label: 'Upstox' },
  angelone: { label: 'Angel One', perSecond: 20, perMinute: 500, perHour: 1000 },
};

/** The stage-wide per-second limit: the tighter of the stage's own and the broker's. */
export function orderRatePerSecond(
  stageMaxPerSecond: number,
  caps: BrokerOrderCaps | undefined,
): number {
  return Math.min(stageMaxPerSecond, caps?.perSecond ?? stageMaxPerSecond);
}
