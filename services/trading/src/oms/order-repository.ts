import type { Pool } from 'pg';
import { numeric } from '../../../common/db/queryable';
import type { Fill, Order, OrderStatus, OrderType, Position, Side } from '../domain';
import {
  type EntrySlots,
  type FenceCheck,
  type InsertOutcome,
  OrderInserts,
} from './order-inserts';

/**
 * Two pools on one database. `durable` commits synchronously: what must survive anything (an
 * order before it reaches the broker). `relaxed` commits asynchronously: what the broker also
 * knows and reconciliation rebuilds (acknowledgements, fills, positions, risk events).
 */
export interface TradingDatabase {
  readonly durable: Pool;
  readonly relaxed: Pool;
  /**
   * The group commit of new orders (`OrderInserts`), on connections of its own: commits
   * synchronously, plans its statement once per connection, never waits behind other work.
   * @default durable
   */
  readonly orders?: Pool;
}

interface OrderRow {
  id: string;
  client_order_id: string;
  strategy_id: string;
  symbol: string;
  side: Side;
  order_type: OrderType;
  quantity: number;
  limit_price: string | null;
  trigger_price: string | null;
  stop_price: string | null;
  reduce_only: boolean;
  status: OrderStatus;
  filled_quantity: number;
  avg_fill_price: string | null;
  broker_order_id: string | null;
  status_reason: string | null;
  fence_token: string | null;
  trading_day: string;
  created_at: Date;
  algo_id: string | null;
}

function toOrder(r: OrderRow): Order {
  return {
    id: r.id,
    clientOrderId: r.client_order_id,
    strategyId: r.strategy_id,
    symbol: r.symbol,
    side: r.side,
    type: r.order_type,
    quantity: r.quantity,
    limitPrice: numeric(r.limit_price),
    triggerPrice: numeric(r.trigger_price),
    stopPrice: numeric(r.stop_price),
    reduceOnly: r.reduce_only,
    status: r.status,
    filledQuantity: r.filled_quantity,
    avgFillPrice: numeric(r.avg_fill_price),
    brokerOrderId: r.broker_order_id ?? undefined,
    statusReason: r.status_reason ?? undefined,
    fenceToken: r.fence_token === null ? undefined : Number(r.fence_token),
    tradingDay: r.trading_day,
    createdAt: r.created_at.getTime(),
    algoId: r.algo_id ?? undefined,
  };
}

const ORDER_COLUMNS = `id, client_order_id, strategy_id, symbol, side, order_type, quantity, limit_price,
  trigger_price, stop_price, reduce_only, status, filled_quantity, avg_fill_price, broker_order_id,
  status_reason, fence_token, trading_day::text AS trading_day, created_at, algo_id`;

export interface FillRecord {
  readonly fill: Fill;
  readonly order: Order;
  readonly realizedPnl: number;
  readonly closesPosition: boolean;
  /** The position after the fill. */
  readonly position: Position;
}

export class OrderRepository {
  private readonly inserts: OrderInserts;

  /** `slots`: the client's order-rate limiter, whose slots entries take with their records. */
  constructor(
    private readonly db: TradingDatabase,
    slots: EntrySlots,
  ) {
    this.inserts = new OrderInserts(db.orders ?? db.durable, slots);
  }

  /**
   * Writes a NEW order, committed before it goes to the broker, in a group commit with the
   * orders that arrive meanwhile (`OrderInserts`). With a fence, the row is only written while
   * `fence.holder` still holds the strategy's lease under its token. An entry (`slot`) is
   * written only with a slot of the client's order rate, taken in the same statement.
   */
  insertNew(
    order: Order,
    options: { fence?: FenceCheck; slot?: boolean } = {},
  ): Promise<InsertOutcome> {
    return this.inserts.insert(order, { fence: options.fence, slot: options.slot ?? false });
  }

  async byClientOrderId(clientOrderId: string): Promise<Order | undefined> {
    const { rows } = await this.db.durable.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE client_order_id = $1`,
      [clientOrderId],
    );
    return rows[0] ? toOrder(rows[0]) : undefined;
  }

  async setStatus(
    orderId: string,
    status: OrderStatus,
    fields: { brokerOrderId?: string; reason?: string } = {},
  ): Promise<void> {
    await this.db.relaxed.query(
      `UPDATE orders SET status = $2, broker_order_id = coalesce($3, broker_order_id),
              status_reason = coalesce($4, status_reason), updated_at = now()
        WHERE id = $1`,
      [orderId, status, fields.brokerOrderId ?? null, fields.reason ?? null],
    );
  }

  /** Broker fill ids already recorded for an order. */
  async fillIds(orderId: string): Promise<string[]> {
    const { rows } = await this.db.relaxed.query<{ broker_fill_id: string }>(
      'SELECT broker_fill_id FROM fills WHERE order_id = $1',
      [orderId],
    );
    return rows.map((r) => r.broker_fill_id);
  }

  /**
   * Records fills with their orders' progress and the positions after them, in one statement for
   * the whole batch. Fills seen before (same broker fill id) change nothing; for the rest, each
   * order and each position takes the state after its last fill in the batch, and a position's
   * realized P&L grows by the batch's sum. Items must be in the order they happened.
   */
  async recordFills(records: readonly FillRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const rows = records.map((r, seq) => ({
      seq,
      broker_fill_id: r.fill.brokerFillId,
      order_id: r.order.id,
      strategy_id: r.order.strategyId,
      symbol: r.order.symbol,
      side: r.order.side,
      quantity: r.fill.quantity,
      price: r.fill.price,
      realized_pnl: r.realizedPnl,
      closes_position: r.closesPosition,
      filled_at_ms: r.fill.filledAt,
      trading_day: r.order.tradingDay,
      order_filled: r.order.filledQuantity,
      order_avg: r.order.avgFillPrice ?? null,
      order_status: r.order.status,
      broker_order_id: r.fill.brokerOrderId,
      position_quantity: r.position.quantity,
      position_avg: r.position.avgPrice,
      position_stop: r.position.stopPrice ?? null,
    }));
    // Planned once per connection, as the acknowledgements below: the relaxed pool's plans look
    // orders up by key however many there were when it planned (`keyedPlans`).
    const { rows: out } = await this.db.relaxed.query<{ inserted: string }>({
      name: 'fills-record-batch',
      text: `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
           seq int, broker_fill_id text, order_id uuid, strategy_id text, symbol text, side text, quantity int,
           price numeric, realized_pnl numeric, closes_position boolean, filled_at_ms float8, trading_day date,
           order_filled int, order_avg numeric, order_status text, broker_order_id text,
           position_quantity int, position_avg numeric, position_stop numeric)
       ), f AS (
         INSERT INTO fills (broker_fill_id, order_id, strategy_id, symbol, side, quantity, price, realized_pnl,
             closes_position, filled_at, trading_day)
         SELECT broker_fill_id, order_id, strategy_id, symbol, side, quantity, price, realized_pnl,
                closes_position, to_timestamp(filled_at_ms / 1000.0), trading_day
           FROM input ORDER BY seq
         ON CONFLICT (broker_fill_id) DO NOTHING
         RETURNING broker_fill_id
       ), fresh AS (
         SELECT input.* FROM input JOIN f USING (broker_fill_id)
       ), o AS (
         UPDATE orders SET filled_quantity = last.order_filled, avg_fill_price = last.order_avg,
                status = last.order_status, broker_order_id = coalesce(orders.broker_order_id, last.broker_order_id),
                updated_at = now()
           FROM (SELECT DISTINCT ON (order_id) * FROM fresh ORDER BY order_id, seq DESC) last
          -- The id list lets the planner use the primary key; it cannot size the batch itself and
          -- would otherwise scan every order of the day.
          WHERE orders.id = last.order_id AND orders.id = ANY($2::uuid[])
       ), p AS (
         INSERT INTO positions (strategy_id, symbol, quantity, avg_price, realized_pnl, stop_price, updated_at)
         SELECT last.strategy_id, last.symbol, last.position_quantity, last.position_avg, sums.realized,
                last.position_stop, now()
           FROM (SELECT DISTINCT ON (strategy_id, symbol) * FROM fresh ORDER BY strategy_id, symbol, seq DESC) last
           JOIN (SELECT strategy_id, symbol, sum(realized_pnl) AS realized FROM fresh GROUP BY strategy_id, symbol) sums
             USING (strategy_id, symbol)
         ON CONFLICT (strategy_id, symbol) DO UPDATE
           SET quantity = EXCLUDED.quantity, avg_price = EXCLUDED.avg_price, stop_price = EXCLUDED.stop_price,
               realized_pnl = positions.realized_pnl + EXCLUDED.realized_pnl, updated_at = now()
       )
       SELECT count(*) AS inserted FROM f`,
      values: [JSON.stringify(rows), [...new Set(records.map((r) => r.order.id))]],
    });
    return Number(out[0]?.inserted ?? 0);
  }

  /** Moves orders from NEW to ACK with their broker ids (never back from a later status). */
  async ackOrders(acks: ReadonlyArray<{ orderId: string; brokerOrderId: string }>): Promise<void> {
    if (acks.length === 0) return;
    await this.db.relaxed.query({
      name: 'orders-ack-batch',
      text: `UPDATE orders SET status = 'ACK', broker_order_id = coalesce(orders.broker_order_id, a.broker_order_id),
              updated_at = now()
         FROM unnest($1::uuid[], $2::text[]) AS a(id, broker_order_id)
        WHERE orders.id = a.id AND orders.id = ANY($1::uuid[]) AND orders.status = 'NEW'`,
      values: [acks.map((a) => a.orderId), acks.map((a) => a.brokerOrderId)],
    });
  }

  /** Orders not yet final, of these strategies (all when omitted). */
  async openOrders(strategyIds?: readonly string[]): Promise<Order[]> {
    const { rows } = await this.db.durable.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders
        WHERE status IN ('NEW', 'ACK', 'PARTIAL') AND ($1::text[] IS NULL OR strategy_id = ANY($1))
        ORDER BY created_at`,
      [strategyIds ?? null],
    );
    return rows.map(toOrder);
  }

  async listOrders(filter: { status?: OrderStatus; limit: number }): Promise<Order[]> {
    const { rows } = await this.db.relaxed.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE ($1::text IS NULL OR status = $1)
        ORDER BY created_at DESC LIMIT $2`,
      [filter.status ?? null, filter.limit],
    );
    return rows.map(toOrder);
  }

  /**
   * Positions with today's realized P&L. `only` limits to these strategies, `except` leaves
   * them out; neither means all.
   */
  async positions(
    tradingDay: string,
    scope: { only?: readonly string[]; except?: readonly string[] } = {},
  ): Promise<Position[]> {
    const { rows } = await this.db.relaxed.query<{
      strategy_id: string;
      symbol: string;
      quantity: number;
      avg_price: string;
      stop_price: string | null;
      realized_today: string;
    }>(
      `SELECT p.strategy_id, p.symbol, p.quantity, p.avg_price, p.stop_price,
              coalesce((SELECT sum(f.realized_pnl) FROM fills f
                         WHERE f.strategy_id = p.strategy_id AND f.symbol = p.symbol AND f.trading_day = $1), 0)
                AS realized_today
         FROM positions p
        WHERE ($2::text[] IS NULL OR p.strategy_id = ANY($2))
          AND ($3::text[] IS NULL OR NOT (p.strategy_id = ANY($3)))`,
      [tradingDay, scope.only ?? null, scope.except ?? null],
    );
    return rows.map((r) => ({
      strategyId: r.strategy_id,
      symbol: r.symbol,
      quantity: r.quantity,
      avgPrice: Number(r.avg_price),
      stopPrice: numeric(r.stop_price),
      realizedPnl: Number(r.realized_today),
    }));
  }

  async tradesOn(tradingDay: string): Promise<Array<Record<string, unknown>>> {
    const { rows } = await this.db.relaxed.query(
      `SELECT trade_id, trading_day::text AS trading_day, filled_at, strategy_id, symbol, side, quantity,
              price::float8 AS price, realized_pnl::float8 AS realized_pnl, closes_position, order_id,
              client_order_id, broker_order_id, order_type, algo_id
         FROM trades WHERE trading_day = $1 ORDER BY trade_id`,
      [tradingDay],
    );
    return rows;
  }
}
