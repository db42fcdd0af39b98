/** The answers and the view of the client's order-rate limiter (`SharedOrderRateLimiter`). */

import type { OrderCap } from './order-rate-store';

/** The answer to a request for a slot of the client's order rate. */
export type SlotAnswer = Slot | SlotRefusal;

/** A refused slot: how long until the binding cap frees, and which cap it is. */
export interface SlotRefusal {
  readonly granted: false;
  readonly retryInMs: number;
  readonly why: string;
  /** 'day': the broker's daily cap is used up; nothing frees it before the next IST day. */
  readonly cap?: OrderCap;
}

/** An exit or cancel waiting in line met the broker's daily cap: it is not sent. */
export class DailyOrderCapError extends Error {}

/** A granted slot of the client's order rate. */
export interface Slot {
  readonly granted: true;
  /**
   * Local time (`now`) when the slot was asked for. The database stamped the slot after this,
   * so `now() - askedAt` bounds how long the message has been on its way since its stamp.
   */
  readonly askedAt: number;
  /** The database's stamp of the slot (absent for a slot of the local share). */
  readonly stamp?: string;
}

/** How the limiter answered, since it started (the bench reports the refused path's cost). */
export interface OrderRateCounts {
  /** Slot requests answered by the database (granted or refused). */
  readonly databaseRoundTrips: number;
  /** Entries refused here without asking the database (the next slot is known not to be free). */
  readonly localRefusals: number;
  /**
   * Late entries refused: the window at their send time had no room (ORDER_RATE; the slot stays
   * consumed).
   */
  readonly lateEntries: number;
  /** Late entries whose stamp was moved to their send time (the window had room) and sent. */
  readonly restampedEntries: number;
  /** Exits and cancels sent late, their stamp moved to when they were sent. */
  readonly restamped: number;
  /** Messages answered by the venue later than the margin, counted again at their answer. */
  readonly restampedOnAnswer: number;
  /** Exits and cancels whose grant came back so late that they waited for another slot. */
  readonly lateRetries: number;
}

/** What `GET /api/health/rate-limits` shows. */
export interface OrderRateView {
  readonly upstream: 'broker-orders';
  readonly limit: number;
  readonly windowSeconds: number;
  readonly used: number;
  readonly usagePct: number;
  /** `shared`: slots from PostgreSQL; `local-share`: the database is unreachable. */
  readonly mode: 'shared' | 'local-share';
  readonly tasksSeen: number;
  /** Exits and cancels of this task waiting in line for a slot. */
  readonly waiting: number;
  readonly counts: OrderRateCounts;
}
