import type { Pool } from 'pg';

/** One answer of `take_order_rate_slot`. */
export interface SlotRow {
  granted: boolean;
  retry_ms: number;
  /** Stamps in the stage-wide window, a granted one included. */
  used: number;
  /** Tasks that asked for a slot in the last minute. */
  tasks: number;
  stamp: string | null;
  /** The binding cap of a refusal (null when granted). */
  cap: OrderCap | null;
}

/** The cap a refusal met: the per-second window, the broker's minute, its hour, or its day. */
export type OrderCap = 'second' | 'minute' | 'hour' | 'day';

/** The broker's caps beyond the per-second window, as the slot statement takes them. */
export interface BrokerWindowCaps {
  /** Messages per `minuteMs` (null: none). */
  readonly perMinute: number | null;
  readonly minuteMs: number;
  /** Messages per `hourMs` (null: none). */
  readonly perHour: number | null;
  readonly hourMs: number;
  /** Messages per IST day (null: none). */
  readonly perDay: number | null;
}

/** The statement's parameters after the backfill, in its order (see `take_order_rate_slots`). */
export function capParams(
  caps: BrokerWindowCaps,
): [number | null, number, number | null, number | null, number] {
  return [caps.perMinute, caps.minuteMs, caps.perDay, caps.perHour, caps.hourMs];
}

/**
 * What an order batch's statement carries to take its entries' slots in the statement that
 * records them (`take_order_rate_slots`, see `OrderInserts`).
 */
export interface SlotClaim {
  readonly bucket: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly taskId: string;
  /** Ages (ms) of this task's sends on its local share that the database has not counted. */
  readonly backfill: readonly number[];
  readonly caps: BrokerWindowCaps;
}

/**
 * The answer of `take_order_rate_slots` for a batch: its first `granted` entries share the slot
 * stamp `stamp`. `used` and `tasks` are null when no entry of the batch asked (nothing counted).
 */
export interface BatchSlotRow {
  granted: number;
  retry_ms: number;
  used: number | null;
  tasks: number | null;
  stamp: string | null;
  cap: OrderCap | null;
}

/** Which window the store counts in, and how long it waits for the database. */
export interface OrderRateStoreOptions {
  readonly bucket: string;
  readonly taskId: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly caps: BrokerWindowCaps;
  /** Bound on one round trip: a later answer counts as none. */
  readonly timeoutMs: number;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  // The losing query may still fail later: that is already accounted for, not a crash.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The stage-wide order-rate window in PostgreSQL: grants counted per slice of the window (a ring
 * of about 100 slices, migration 0017) over the database clock, taken and moved under the
 * bucket's lock by SQL functions, one round trip per call. A slot's `stamp` is its grant's time. Every call
 * rejects when the database does not answer within `timeoutMs`; what that means (refuse, fall
 * back to the local share) is the limiter's decision.
 */
export class OrderRateStore {
  constructor(
    private readonly db: Pool,
    private readonly options: OrderRateStoreOptions,
  ) {}

  /**
   * Takes a slot if the window has room. `backfill`: the ages (ms) of sends made on the local
   * share that the database has not counted yet; they are counted into the window first.
   */
  async take(backfill: readonly number[]): Promise<SlotRow> {
    const { bucket, limit, windowMs, taskId, caps } = this.options;
    const result = await withTimeout(
      this.db.query<SlotRow>({
        name: 'take-order-rate-slot',
        // The stamp as text: a JavaScript Date would drop its microseconds, and `restamp`
        // finds the stamp by equality.
        text: 'SELECT granted, retry_ms, used, tasks, stamp::text AS stamp, cap FROM take_order_rate_slot($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        values: [bucket, limit, windowMs, taskId, backfill, ...capParams(caps)],
      }),
      this.options.timeoutMs,
    );
    const row = result.rows[0];
    if (!row) throw new Error('take_order_rate_slot returned no row');
    return row;
  }

  /**
   * Moves the grant of `stamp` to now if the window ending now holds fewer than `limit` grants
   * besides it
   * (checked and moved atomically); resolves the new stamp, or nothing when there is no room.
   */
  async restampIfRoom(stamp: string): Promise<string | null | undefined> {
    const result = await withTimeout(
      this.db.query<{ stamp: string | null }>({
        name: 'restamp-order-rate-slot-if-room',
        text: 'SELECT restamp_order_rate_slot_if_room($1, $2, $3, $4)::text AS stamp',
        values: [this.options.bucket, stamp, this.options.limit, this.options.windowMs],
      }),
      this.options.timeoutMs,
    );
    return result.rows[0]?.stamp;
  }

  /** Moves `stamp` to now, whatever the window holds. */
  restamp(stamp: string): Promise<unknown> {
    return withTimeout(
      this.db.query({
        name: 'restamp-order-rate-slot',
        text: 'SELECT restamp_order_rate_slot($1, $2)',
        values: [this.options.bucket, stamp],
      }),
      this.options.timeoutMs,
    );
  }
}
