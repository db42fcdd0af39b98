import type { Pool, QueryResultRow } from 'pg';
import { numeric } from '../../../common/db/queryable';
import { GroupCommit } from '../../../common/group-commit';
import { addDays, istDate, istTimeOn } from '../../../common/time';
import { type Fill, type Order, orderPricesProblem } from '../domain';
import {
  type Broker,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRejectedError,
  type BrokerToken,
  type OrderChanges,
  type QuoteSource,
  type SendThrough,
  sendDirectly,
} from './broker';
import { PaperMatching, type PaperMatchingOptions } from './paper-matching';
import { brokerOrderOf, type PaperOrderRow, workingOrderOf } from './paper-orders';

/** The paper venue: how it fills, and what it says about tokens. */
export interface PaperBrokerOptions extends PaperMatchingOptions {
  /** Names of the access tokens the venue reports (as the token check expects). */
  readonly tokenNames: readonly string[];
}

/**
 * A paper venue that behaves like a broker: it acknowledges, fills market orders after a latency
 * with slippage (sometimes in two parts), rests limit orders until the price reaches them, and
 * keeps its own record in the `paper` schema, so that it outlives the service and reconciliation
 * has something independent to compare with. Every message it receives is stamped in
 * `paper.messages` (the venue's view of the client's order rate). Give it a pool of its own with
 * `synchronous_commit=off`: a venue's acknowledgement, not our order record, is what it stores.
 */
export class PaperBroker implements Broker {
  readonly name = 'paper';
  private readonly fillListeners: Array<(fill: Fill, order: BrokerOrder) => void> = [];
  private readonly closedListeners: Array<(order: BrokerOrder) => void> = [];
  /** The orders the venue works on, and their fills. */
  private readonly matching: PaperMatching;
  /** New orders received together are stamped and booked in one statement. */
  private readonly receipts = new GroupCommit<Order, string>((orders) => this.receive(orders));

  constructor(
    private readonly db: Pool,
    private readonly quotes: QuoteSource,
    private readonly options: PaperBrokerOptions,
  ) {
    this.matching = new PaperMatching(db, quotes, options, (fill, order) => {
      for (const listener of this.fillListeners) listener(fill, order);
    });
  }

  connected(): boolean {
    return this.matching.running();
  }

  onFill(listener: (fill: Fill, order: BrokerOrder) => void): void {
    this.fillListeners.push(listener);
  }

  onOrderClosed(listener: (order: BrokerOrder) => void): void {
    this.closedListeners.push(listener);
  }

  submit(order: Order, through: SendThrough = sendDirectly): Promise<{ brokerOrderId: string }> {
    return through(() => this.place(order));
  }

  cancel(clientOrderId: string, through: SendThrough = sendDirectly): Promise<void> {
    return through(() => this.cancelNow(clientOrderId));
  }

  modify(
    clientOrderId: string,
    changes: OrderChanges,
    through: SendThrough = sendDirectly,
  ): Promise<void> {
    return through(() => this.modifyNow(clientOrderId, changes));
  }

  private async place(order: Order): Promise<{ brokerOrderId: string }> {
    if (!this.quotes.quote(order.symbol)) {
      throw new BrokerRejectedError(`no market in ${order.symbol}`);
    }
    const brokerOrderId = await this.receipts.add(order);
    this.matching.work({
      brokerOrderId,
      clientOrderId: order.clientOrderId,
      strategyId: order.strategyId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      quantity: order.quantity,
      limitPrice: order.limitPrice,
      triggerPrice: order.triggerPrice,
      triggered: false,
      filled: 0,
      busy: false,
      version: 0,
    });
    return { brokerOrderId };
  }

  /**
   * A modify, as Kite takes one: the receipt is stamped whatever the outcome; an order no longer
   * open, a quantity not above what has filled, or prices that no longer fit the order's type are
   * refused in the venue's words, and nothing changes.
   */
  private async modifyNow(clientOrderId: string, changes: OrderChanges): Promise<void> {
    const { rows } = await this.query<PaperOrderRow>(
      `WITH receipt AS (INSERT INTO paper.messages (kind, client_order_id) VALUES ('MODIFY', $1))
       SELECT * FROM paper.orders WHERE client_order_id = $1`,
      [clientOrderId],
    );
    const row = rows[0];
    if (!row) throw new BrokerRejectedError(`no order ${clientOrderId} at the paper venue`);
    if (row.status !== 'OPEN')
      throw new BrokerRejectedError(`order cannot be modified as it is ${row.status}`);
    const next = {
      quantity: changes.quantity ?? row.quantity,
      limitPrice: changes.limitPrice ?? numeric(row.limit_price),
      triggerPrice: changes.triggerPrice ?? numeric(row.trigger_price),
    };
    const problem =
      orderPricesProblem({ type: row.order_type, side: row.side, ...next }) ??
      (next.quantity > row.filled_quantity
        ? undefined
        : `quantity ${next.quantity} is not above the ${row.filled_quantity} already filled`);
    if (problem !== undefined) throw new BrokerRejectedError(`order not modified: ${problem}`);
    const { rowCount } = await this.query(
      `UPDATE paper.orders SET quantity = $2, limit_price = $3, trigger_price = $4, updated_at = now()
        WHERE client_order_id = $1 AND status = 'OPEN' AND filled_quantity < $2`,
      [clientOrderId, next.quantity, next.limitPrice ?? null, next.triggerPrice ?? null],
    );
    if (rowCount !== 1)
      throw new BrokerRejectedError(`order cannot be modified: it filled or closed meanwhile`);
    this.matching.amend(clientOrderId, next);
  }

  /**
   * Stamps the receipt of each new order and books it (a repeated client order id gets its order
   * back, booked once); answers the broker order ids in the orders' order.
   */
  private async receive(orders: readonly Order[]): Promise<string[]> {
    const unique = [...new Map(orders.map((o) => [o.clientOrderId, o])).values()];
    const { rows } = await this.query<{ client_order_id: string; broker_order_id: string }>(
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
                              $7::numeric[], $8::numeric[])
           WITH ORDINALITY AS x(client_order_id, strategy_id, symbol, side, order_type, quantity,
                                limit_price, trigger_price, seq)
       ), receipt AS (
         INSERT INTO paper.messages (kind, client_order_id)
         SELECT 'NEW', client_order_id FROM input ORDER BY seq
       )
       INSERT INTO paper.orders (broker_order_id, client_order_id, strategy_id, symbol, side, order_type,
         quantity, limit_price, trigger_price, status)
       SELECT 'PB-' || lpad(nextval('paper.order_seq')::text, 9, '0'), client_order_id, strategy_id,
              symbol, side, order_type, quantity, limit_price, trigger_price, 'OPEN'
         FROM input ORDER BY seq
       ON CONFLICT (client_order_id) DO UPDATE SET updated_at = paper.orders.updated_at
       RETURNING client_order_id, broker_order_id`,
      [
        unique.map((o) => o.clientOrderId),
        unique.map((o) => o.strategyId),
        unique.map((o) => o.symbol),
        unique.map((o) => o.side),
        unique.map((o) => o.type),
        unique.map((o) => o.quantity),
        unique.map((o) => o.limitPrice ?? null),
        unique.map((o) => o.triggerPrice ?? null),
      ],
      'paper-submit-batch',
    );
    const ids = new Map(rows.map((r) => [r.client_order_id, r.broker_order_id]));
    return orders.map((o) => {
      const id = ids.get(o.clientOrderId);
      if (!id) throw new Error(`paper venue did not return an order id for ${o.clientOrderId}`);
      return id;
    });
  }

  private async cancelNow(clientOrderId: string): Promise<void> {
    const { rows } = await this.query<PaperOrderRow>(
      `WITH receipt AS (INSERT INTO paper.messages (kind, client_order_id) VALUES ('CANCEL', $1))
       UPDATE paper.orders SET status = 'CANCELLED', reason = 'cancelled by client', updated_at = now()
        WHERE client_order_id = $1 AND status = 'OPEN' RETURNING *`,
      [clientOrderId],
    );
    const row = rows[0];
    this.matching.stop(clientOrderId);
    if (row) {
      const order = await this.toBrokerOrder(row);
      for (const listener of this.closedListeners) listener(order);
    }
  }

  async getOrder(clientOrderId: string): Promise<BrokerOrder | undefined> {
    const { rows } = await this.query<PaperOrderRow>(
      'SELECT * FROM paper.orders WHERE client_order_id = $1',
      [clientOrderId],
    );
    return rows[0] ? this.toBrokerOrder(rows[0]) : undefined;
  }

  async positions(): Promise<BrokerPosition[]> {
    const { rows } = await this.query<{ strategy_id: string; symbol: string; quantity: string }>(
      `SELECT o.strategy_id, o.symbol,
              sum(CASE WHEN o.side = 'BUY' THEN f.quantity ELSE -f.quantity END) AS quantity
         FROM paper.fills f JOIN paper.orders o USING (broker_order_id)
        GROUP BY o.strategy_id, o.symbol`,
    );
    return rows
      .map((r) => ({ strategyId: r.strategy_id, symbol: r.symbol, quantity: Number(r.quantity) }))
      .filter((p) => p.quantity !== 0);
  }

  async adopt(strategyIds: readonly string[]): Promise<void> {
    const { rows } = await this.query<PaperOrderRow>(
      `SELECT * FROM paper.orders WHERE status = 'OPEN' AND strategy_id = ANY($1)`,
      [strategyIds],
    );
    for (const r of rows) {
      if (!this.matching.isWorking(r.broker_order_id)) this.matching.work(workingOrderOf(r));
    }
  }

  release(strategyIds: readonly string[]): void {
    this.matching.release(strategyIds);
  }

  /**
   * Named tokens as if logged in just now: valid until 03:30 IST tomorrow, as a broker's daily
   * tokens are (so a paper session is never refused for a token it cannot renew).
   */
  async tokens(): Promise<BrokerToken[]> {
    const expiresAt = istTimeOn(addDays(istDate(Date.now()), 1), '03:30');
    return this.options.tokenNames.map((name) => ({ name, expiresAt }));
  }

  /**
   * Re-tries working orders against a new price: resting limits, and market orders that had no
   * price to fill at (e.g. adopted after a restart, before the first tick).
   */
  onQuote(symbol: string): void {
    this.matching.onQuote(symbol);
  }

  async close(): Promise<void> {
    this.matching.close();
  }

  /** The venue's record of the order, with every fill. */
  private async toBrokerOrder(row: PaperOrderRow): Promise<BrokerOrder> {
    const fills = (
      await this.query<{ fill_id: string; quantity: number; price: string; filled_at: Date }>(
        'SELECT fill_id, quantity, price, filled_at FROM paper.fills WHERE broker_order_id = $1 ORDER BY fill_id',
        [row.broker_order_id],
      )
    ).rows.map((f) => ({
      brokerFillId: f.fill_id,
      brokerOrderId: row.broker_order_id,
      clientOrderId: row.client_order_id,
      quantity: f.quantity,
      price: Number(f.price),
      filledAt: f.filled_at.getTime(),
    }));
    return brokerOrderOf(row, fills);
  }

  /** `name`: prepared once per connection (the per-order statements). */
  private query<R extends QueryResultRow>(text: string, values?: unknown[], name?: string) {
    return this.db.query<R>(name ? { name, text, values } : { text, values });
  }
}
