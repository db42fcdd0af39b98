import type { BrokerOrderCaps } from '../../../../contract/broker-order-caps';

/** Whose messages the limiter counts, against what limit, and how it treats the database. */
export interface OrderRateLimiterOptions {
  /** The client whose messages are counted (one per stage: every task shares it). */
  readonly bucket: string;
  readonly taskId: string;
  /** Messages per second the client may send (the stage's; the broker's own may be tighter). */
  readonly limit: number;
  /** The broker's own caps (per second, minute, hour, day), counted in the same statement. */
  readonly brokerCaps?: BrokerOrderCaps;
  /** The length of the broker's minute window: shorter only in tests. @default 60000 */
  readonly minuteMs?: number;
  /** The length of the broker's hour window: shorter only in tests. @default 3600000 */
  readonly hourMs?: number;
  /** An exit or cancel met the broker's daily cap and was not sent (say it loudly). */
  readonly onDailyCap?: (why: string) => void;
  /**
   * Added to the 1 s window: a message may take this long from its slot to the venue and no
   * 1-second window at the venue still holds more than `limit`.
   */
  readonly marginMs: number;
  /**
   * The part of the margin this task may use between asking for a slot and calling the broker;
   * the rest is for the way from the broker call to the venue's receipt (network, the venue's
   * own queue), which nothing here can bound. @default marginMs / 2
   */
  readonly sendBudgetMs?: number;
  /**
   * Bound on one database round trip; beyond it the database counts as unreachable. Generous: a
   * slow database still counts sends, a share taken on a false alarm may not. @default 1000
   */
  readonly timeoutMs?: number;
  /** After a failed round trip the database is not asked again for this long. @default 1000 */
  readonly retryDatabaseAfterMs?: number;
  readonly now?: () => number;
  /** The database could not be asked (the limiter falls back as documented on the class). */
  readonly onDatabaseError?: (error: unknown) => void;
}
