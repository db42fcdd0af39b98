import type { Pool } from 'pg';
import type { Slot } from '../broker/order-rate-slots';
import type { BatchSlotRow, SlotClaim } from '../broker/order-rate-store';
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
];

const columns = NEW_ORDER_COLUMNS.map(([name]) => name);
const extra = (k: number) => `$${NEW_ORDER_COLUMNS.length + k}`;

/**
 * One statement for a whole batch, one round trip and one commit: per order, the lease check (a
 * fenced order is written only while its holder still holds the strategy under its token), the
 * duplicate check, the order-rate slot of an entry (`take_order_rate_slots`, under the bucket's
 * lock until the commit) and the insert. An entry without a slot is not written. Answers, in the
 * batch's order, what became of each, with the batch's slot answer.
 */
const INSERT_BATCH = `WITH input AS (
    SELECT * FROM unnest(${NEW_ORDER_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')},
                         ${extra(1)}::boolean[], ${extra(2)}::text[], ${extra(3)}::bigint[])
      WITH ORDINALITY AS x(${columns.join(', ')}, wants_slot, holder, lease_token, seq)
  ), checked AS (
    SELECT x.*,
           (x.holder IS NULL OR EXISTS (
             SELECT 1 FROM strategy_leases l
              WHERE l.strategy_id = x.strategy_id AND l.holder = x.holder
                AND l.fence_token = x.lease_token AND l.expires_at > now())) AS lease_ok,
           EXISTS (SELECT 1 FROM orders o WHERE o.client_order_id = x.client_order_id) AS seen
      FROM input x
  ), ranked AS (
    SELECT c.*, count(*) FILTER (WHERE c.wants_slot AND c.lease_ok AND NOT c.seen)
                  OVER (ORDER BY c.seq) AS slot_rank
      FROM checked c
  ), slots AS (
    SELECT * FROM take_order_rate_slots(${extra(4)}, ${extra(5)}, ${extra(6)}, ${extra(7)}, ${extra(8)}::int[],
      (SELECT count(*)::int FROM checked WHERE wants_slot AND lease_ok AND NOT seen))
  ), written AS (
    INSERT INTO orders (${columns.join(', ')}, status)
    SELECT ${columns.map((c) => `r.${c}`).join(', ')}, 'NEW'
      FROM ranked r CROSS JOIN slots s
     WHERE r.lease_ok AND NOT r.seen AND (NOT r.wants_slot OR r.slot_rank <= s.granted)
     ORDER BY r.seq
    ON CONFLICT (client_order_id) DO NOTHING
    RETURNING client_order_id
  )
  SELECT CASE WHEN NOT r.lease_ok THEN 'LEASE_LOST'
              WHEN r.seen THEN 'DUPLICATE'
              WHEN r.wants_slot AND r.slot_rank > s.granted THEN 'ORDER_RATE'
              WHEN w.client_order_id IS NULL THEN 'DUPLICATE'
              ELSE 'WRITTEN' END AS outcome,
         s.granted, s.retry_ms, s.used, s.tasks, s.stamp::text AS stamp
    FROM ranked r CROSS JOIN slots s LEFT JOIN written w ON w.client_order_id = r.client_order_id
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

/** One order waiting to be recorded. */
interface Pending {
  readonly order: Order;
  readonly fence?: FenceCheck;
  readonly slot: boolean;
  resolve(outcome: InsertOutcome): void;
  reject(error: unknown): void;
}

interface OutcomeRow extends BatchSlotRow {
  outcome: 'WRITTEN' | 'LEASE_LOST' | 'DUPLICATE' | 'ORDER_RATE';
}

export interface OrderInsertsOptions {
  /** Orders in one statement at most. @default 500 */
  readonly maxBatch?: number;
}

/**
 * Group commit of new orders: the orders that arrive while a batch is being committed (or in the
 * same turn of the event loop) are written together by the next, in one statement, one round
 * trip and one commit (one WAL flush) on the synchronously committing pool. Each caller learns its
 * own order's outcome once its batch committed; a batch the database refuses fails its own
 * orders, each with the database's error. One batch in flight at a time: the next one would wait
 * for the bucket's lock anyway, and waiting here lets it grow.
 */
export class OrderInserts {
  private queue: Pending[] = [];
  private writing = false;
  private scheduled = false;
  private readonly maxBatch: number;

  constructor(
    private readonly pool: Pool,
    private readonly slots: EntrySlots,
    options: OrderInsertsOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
  }

  /**
   * Records a NEW order in the next batch. `slot`: an entry, written only with a slot of the
   * client's order rate.
   */
  insert(order: Order, options: { fence?: FenceCheck; slot: boolean }): Promise<InsertOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ order, ...options, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    // After the I/O callbacks of this turn: requests read together go out together.
    setImmediate(() => {
      this.scheduled = false;
      void this.writeNext();
    });
  }

  private async writeNext(): Promise<void> {
    if (this.writing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.writing = true;
    try {
      const askedAt = Date.now();
      const { rows } = await this.pool.query<OutcomeRow>({
        name: 'orders-insert-batch',
        text: INSERT_BATCH,
        values: this.values(batch),
      });
      if (rows.length !== batch.length)
        throw new Error(`the order batch answered ${rows.length} rows for ${batch.length} orders`);
      const answer = rows[0] as OutcomeRow;
      const { slot, refusal } = this.slots.settleBatch(answer, askedAt);
      for (const [i, p] of batch.entries())
        p.resolve(this.outcome(rows[i] as OutcomeRow, p, slot, refusal));
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.writing = false;
      if (this.queue.length > 0) this.schedule();
    }
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
    ];
  }
}
