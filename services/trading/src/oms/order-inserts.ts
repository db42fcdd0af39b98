import type { Pool } from 'pg';
import { GroupCommit } from '../../../common/group-commit';
import type { Slot } from '../broker/order-rate-slots';
import { type BatchSlotRow, capParams, type SlotClaim } from '../broker/order-rate-store';
import type { Order } from '../domain';

/**
 * The columns a NEW order is written with: name, SQL type, value. The one list of them (the
 * statement below is made from it): a new column is one line here.
 */
const NEW_ORDER_COLUMNS: ReadonlyArray<readonly [string, string, (o: Order) => unknown]> = [
  ['id', 'uuid', (o) => o.id],
  ['client_order_id', 'text', (o) => o.clientOrderId],
  ['strategy_id', 'text', (o) => o.strategyId],
  ['symbol', 'text', (o) => o.symbol],
  ['side', 'text', (o) => o.side],
  ['order_type', 'text', (o) => o.type],
  ['quantity', 'int', (o) => o.quantity],
  ['limit_price', 'numeric', (o) => o.limitPrice ?? null],
  ['stop_price', 'numeric', (o) => o.stopPrice ?? null],
  ['reduce_only', 'boolean', (o) => o.reduceOnly],
  ['fence_token', 'bigint', (o) => o.fenceToken ?? null],
  ['trading_day', 'date', (o) => o.tradingDay],
  ['algo_id', 'text', (o) => o.algoId ?? null],
  ['trigger_price', 'numeric', (o) => o.triggerPrice ?? null],
];

const columns = NEW_ORDER_COLUMNS.map(([name]) => name);
const extra = (k: number) => `$${NEW_ORDER_COLUMNS.length + k}`;

/**
 * One statement for a whole batch, one round trip and one commit: per order, the lease check (a
 * fenced order is written only while its holder still holds the strategy under its token), the
 * order-rate slot of an entry (`take_order_rate_slots`, under the bucket's
 * lock until the commit), the lease check again once the bucket is held (the batch may have
 * waited for it), and the insert (a client order id recorded already is not written again). An
 * entry without a slot is not written; a slot taken for an order whose lease went meanwhile, or
 * for a repeat, stays taken (the safe side). Answers, in the batch's order,
 * what became of each, with the batch's slot answer.
 */
const INSERT_BATCH = `WITH input AS (
    SELECT * FROM unnest(${NEW_ORDER_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')},
                         ${extra(1)}::boolean[], ${extra(2)}::text[], ${extra(3)}::bigint[])
      WITH ORDINALITY AS x(${columns.join(', ')}, wants_slot, holder, lease_token, seq)
  ), checked AS (
    -- No lookup in orders here: planned once per connection, possibly on an empty table, it
    -- could become a scan of every order. A repeated client order id is left to ON CONFLICT
    -- (its slot stays taken: repeats that reach the database are rare, and that errs safe).
    SELECT x.*,
           (x.holder IS NULL OR EXISTS (
             SELECT 1 FROM strategy_leases l
              WHERE l.strategy_id = x.strategy_id AND l.holder = x.holder
                AND l.fence_token = x.lease_token AND l.expires_at > now())) AS lease_ok
      FROM input x
  ), ranked AS (
    SELECT c.*, count(*) FILTER (WHERE c.wants_slot AND c.lease_ok)
                  OVER (ORDER BY c.seq) AS slot_rank
      FROM checked c
  ), slots AS (
    SELECT * FROM take_order_rate_slots(${extra(4)}, ${extra(5)}, ${extra(6)}, ${extra(7)}, ${extra(8)}::int[],
      (SELECT count(*)::int FROM checked WHERE wants_slot AND lease_ok),
      ${extra(9)}::int, ${extra(10)}::int, ${extra(11)}::int, ${extra(12)}::int, ${extra(13)}::int)
  ), fenced AS (
    -- Checked again once the bucket is held (after slots): the lease as it is now.
    SELECT r.*, (r.holder IS NULL OR holds_strategy_lease(r.strategy_id, r.holder, r.lease_token))
             AS still_held
      FROM ranked r CROSS JOIN slots s
     WHERE r.lease_ok AND (NOT r.wants_slot OR r.slot_rank <= s.granted)
  ), written AS (
    INSERT INTO orders (${columns.join(', ')}, status)
    SELECT ${columns.map((c) => `f.${c}`).join(', ')}, 'NEW'
      FROM fenced f WHERE f.still_held
     ORDER BY f.seq
    ON CONFLICT (client_order_id) DO NOTHING
    RETURNING client_order_id
  )
  SELECT CASE WHEN NOT r.lease_ok OR NOT f.still_held THEN 'LEASE_LOST'
              WHEN r.wants_slot AND r.slot_rank > s.granted THEN 'ORDER_RATE'
              WHEN w.client_order_id IS NULL THEN 'DUPLICATE'
              ELSE 'WRITTEN' END AS outcome,
         s.granted, s.retry_ms, s.used, s.tasks, s.stamp::text AS stamp, s.cap
    FROM ranked r CROSS JOIN slots s
         LEFT JOIN fenced f ON f.seq = r.seq
         LEFT JOIN written w ON w.client_order_id = r.client_order_id
   ORDER BY r.seq`;

/** Whose lease a fenced order is written under. */
export interface FenceCheck {
  readonly holder: string;
  readonly fenceToken: number;
}

/** What became of an order sent to be recorded. */
export type InsertOutcome =
  /** Durable. An entry holds its order-rate slot, taken with its record. */
  | { readonly status: 'WRITTEN'; readonly slot?: Slot }
  /** Fenced, and the holder no longer holds the strategy under that token: not written. */
  | { readonly status: 'LEASE_LOST' }
  /** The client order id is recorded already: not written again. */
  | { readonly status: 'DUPLICATE' }
  /** An entry the client's order rate had no slot for: not written. */
  | { readonly status: 'ORDER_RATE'; readonly message: string };

/** Where entries take their order-rate slots: the client's shared limiter. */
export interface EntrySlots {
  batchClaim(): SlotClaim;
  settleBatch(row: BatchSlotRow, askedAt: number): { slot?: Slot; refusal: string };
}

/** One order to be recorded. */
interface Pending {
  readonly order: Order;
  readonly fence?: FenceCheck;
  readonly slot: boolean;
}

interface OutcomeRow extends BatchSlotRow {
  outcome: 'WRITTEN' | 'LEASE_LOST' | 'DUPLICATE' | 'ORDER_RATE';
}

/**
 * Group commit of new orders (`GroupCommit`): the orders that arrive while a batch is being
 * committed are written together by the next, in one statement, one round trip and one commit
 * (one WAL flush) on the synchronously committing pool. Each caller learns its own order's
 * outcome once its batch committed; a batch the database refuses fails its own orders, each with
 * the database's error. One batch in flight at a time: the next one would wait for the bucket's
 * lock anyway, and waiting here lets it grow.
 */
export class OrderInserts {
  private readonly batches: GroupCommit<Pending, InsertOutcome>;

  constructor(
    private readonly pool: Pool,
    private readonly slots: EntrySlots,
  ) {
    this.batches = new GroupCommit((batch) => this.write(batch));
  }

  /**
   * Records a NEW order in the next batch. `slot`: an entry, written only with a slot of the
   * client's order rate.
   */
  insert(order: Order, options: { fence?: FenceCheck; slot: boolean }): Promise<InsertOutcome> {
    return this.batches.add({ order, ...options });
  }

  private async write(batch: readonly Pending[]): Promise<InsertOutcome[]> {
    const values = this.values(batch);
    const askedAt = Date.now();
    const { rows } = await this.pool.query<OutcomeRow>({
      name: 'orders-insert-batch',
      text: INSERT_BATCH,
      values,
    });
    const first = rows[0];
    if (!first || rows.length !== batch.length)
      throw new Error(`the order batch answered ${rows.length} rows for ${batch.length} orders`);
    const { slot, refusal } = this.slots.settleBatch(first, askedAt);
    return rows.map((row, i) => this.outcome(row, batch[i] as Pending, slot, refusal));
  }

  private outcome(
    row: OutcomeRow,
    p: Pending,
    slot: Slot | undefined,
    refusal: string,
  ): InsertOutcome {
    switch (row.outcome) {
      case 'WRITTEN':
        return p.slot ? { status: row.outcome, slot } : { status: row.outcome };
      case 'ORDER_RATE':
        return { status: row.outcome, message: refusal };
      default:
        return { status: row.outcome };
    }
  }

  private values(batch: readonly Pending[]): unknown[] {
    const claim = this.slots.batchClaim();
    return [
      ...NEW_ORDER_COLUMNS.map(([, , value]) => batch.map((p) => value(p.order))),
      batch.map((p) => p.slot),
      batch.map((p) => p.fence?.holder ?? null),
      batch.map((p) => p.fence?.fenceToken ?? null),
      claim.bucket,
      claim.limit,
      claim.windowMs,
      claim.taskId,
      claim.backfill,
      ...capParams(claim.caps),
    ];
  }
}
