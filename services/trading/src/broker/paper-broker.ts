import type { Pool, QueryResultRow } from 'pg';
import { addDays, istDate, istTimeOn } from '../../../common/time';
import { type Fill, type Order, roundToTick, type Side, sideSign } from '../domain';
import { seededRandom } from '../market/random';
import {
  type Broker,
  type BrokerOrder,
  type BrokerOrderStatus,
  type BrokerPosition,
  BrokerRejectedError,
  type BrokerToken,
  type QuoteSource,
  type SendThrough,
  sendDirectly,
} from './broker';

export interface PaperBrokerOptions {
  /** Adverse price move of a market fill, in basis points. */
  readonly slippageBps: number;
  /** Delay from acknowledgement to the first fill, ms. */
  readonly latencyMs: number;
  /** Chance that a fill comes in two parts. */
  readonly partialFillProbability: number;
  readonly seed: number;
  /** Names of the access tokens the venue reports (as the token check expects). */
  readonly tokenNames: readonly string[];
  /** Price tick used to round fill prices. @default 0.05 */
  readonly tickSize?: number;
  /** A fill attempt failed (e.g. the database); it is retried on the next price. */
  readonly onError?: (error: unknown, clientOrderId: string) => void;
}

interface PaperOrderRow {
  broker_order_id: string;
  client_order_id: string;
  strategy_id: string;
  symbol: string;
  side: Side;
  order_type: 'MARKET' | 'LIMIT';
  quantity: number;
  limit_price: string | null;
  filled_quantity: number;
  status: BrokerOrderStatus;
  reason: string | null;
}

type FilledRow = PaperOrderRow & { fill_id: string };

interface PendingFill {
  readonly w: Working;
  readonly quantity: number;
  readonly price: number;
  resolve(row: FilledRow | undefined): void;
  reject(error: unknown): void;
}

interface Working {
  readonly brokerOrderId: string;
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: 'MARKET' | 'LIMIT';
  readonly quantity: number;
  readonly limitPrice?: number;
  filled: number;
  busy: boolean;
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
  private readonly working = new Map<string, Working>();
  private readonly fillListeners: Array<(fill: Fill, order: BrokerOrder) => void> = [];
  private readonly closedListeners: Array<(order: BrokerOrder) => void> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private fillQueue: PendingFill[] = [];
  private fillTimer?: NodeJS.Timeout;
  private readonly random: () => number;
  private closed = false;

  constructor(
    private readonly db: Pool,
    private readonly quotes: QuoteSource,
    private readonly options: PaperBrokerOptions,
  ) {
    this.random = seededRandom(options.seed);
  }

  connected(): boolean {
    return !this.closed;
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

  private async place(order: Order): Promise<{ brokerOrderId: string }> {
    if (!this.quotes.quote(order.symbol)) {
      throw new BrokerRejectedError(`no market in ${order.symbol}`);
    }
    const { rows } = await this.query<{ broker_order_id: string }>(
      `WITH receipt AS (INSERT INTO paper.messages (kind, client_order_id) VALUES ('NEW', $1))
       INSERT INTO paper.orders (broker_order_id, client_order_id, strategy_id, symbol, side, order_type,
         quantity, limit_price, status)
       VALUES ('PB-' || lpad(nextval('paper.order_seq')::text, 9, '0'), $1, $2, $3, $4, $5, $6, $7, 'OPEN')
       ON CONFLICT (client_order_id) DO UPDATE SET updated_at = paper.orders.updated_at
       RETURNING broker_order_id`,
      [
        order.clientOrderId,
        order.strategyId,
        order.symbol,
        order.side,
        order.type,
        order.quantity,
        order.limitPrice ?? null,
      ],
      'paper-submit',
    );
    const brokerOrderId = rows[0]?.broker_order_id;
    if (!brokerOrderId) throw new Error('paper venue did not return an order id');
    this.work({
      brokerOrderId,
      clientOrderId: order.clientOrderId,
      strategyId: order.strategyId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      quantity: order.quantity,
      limitPrice: order.limitPrice,
      filled: 0,
      busy: false,
    });
    return { brokerOrderId };
  }

  private async cancelNow(clientOrderId: string): Promise<void> {
    const { rows } = await this.query<PaperOrderRow>(
      `WITH receipt AS (INSERT INTO paper.messages (kind, client_order_id) VALUES ('CANCEL', $1))
       UPDATE paper.orders SET status = 'CANCELLED', reason = 'cancelled by client', updated_at = now()
        WHERE client_order_id = $1 AND status = 'OPEN' RETURNING *`,
      [clientOrderId],
    );
    const row = rows[0];
    for (const [id, w] of this.working)
      if (w.clientOrderId === clientOrderId) this.working.delete(id);
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
      if (this.working.has(r.broker_order_id)) continue;
      this.work({
        brokerOrderId: r.broker_order_id,
        clientOrderId: r.client_order_id,
        strategyId: r.strategy_id,
        symbol: r.symbol,
        side: r.side,
        type: r.order_type,
        quantity: r.quantity,
        limitPrice: r.limit_price === null ? undefined : Number(r.limit_price),
        filled: r.filled_quantity,
        busy: false,
      });
    }
  }

  release(strategyIds: readonly string[]): void {
    for (const [id, w] of this.working)
      if (strategyIds.includes(w.strategyId)) this.working.delete(id);
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
    for (const w of this.working.values()) if (w.symbol === symbol) void this.match(w);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.working.clear();
  }

  private work(w: Working): void {
    this.working.set(w.brokerOrderId, w);
    this.later(this.options.latencyMs, () => this.match(w));
  }

  private later(ms: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) void fn();
    }, ms);
    this.timers.add(timer);
  }

  /** Never rejects: a failed attempt is reported and the next price tries again. */
  private async match(w: Working): Promise<void> {
    try {
      await this.tryMatch(w);
    } catch (error) {
      w.busy = false;
      this.options.onError?.(error, w.clientOrderId);
    }
  }

  private async tryMatch(w: Working): Promise<void> {
    if (w.busy || !this.working.has(w.brokerOrderId)) return;
    const quote = this.quotes.quote(w.symbol);
    if (!quote) return;
    const touch = w.side === 'BUY' ? quote.ask : quote.bid;
    if (w.type === 'LIMIT' && w.limitPrice !== undefined) {
      const marketable = w.side === 'BUY' ? touch <= w.limitPrice : touch >= w.limitPrice;
      if (!marketable) return;
    }
    const slip =
      w.type === 'MARKET' ? (touch * this.options.slippageBps * this.random()) / 10_000 : 0;
    let price = roundToTick(touch + sideSign(w.side) * slip, this.options.tickSize ?? 0.05);
    if (w.type === 'LIMIT' && w.limitPrice !== undefined) {
      price = w.side === 'BUY' ? Math.min(price, w.limitPrice) : Math.max(price, w.limitPrice);
    }
    const remaining = w.quantity - w.filled;
    const partial =
      remaining > 1 && w.filled === 0 && this.random() < this.options.partialFillProbability;
    const quantity = partial
      ? Math.max(1, Math.floor(remaining * (0.3 + 0.4 * this.random())))
      : remaining;
    w.busy = true;
    try {
      await this.fill(w, quantity, price);
    } finally {
      w.busy = false;
    }
    if (w.filled < w.quantity && this.working.has(w.brokerOrderId)) {
      this.later(this.options.latencyMs, () => this.match(w));
    }
  }

  private async fill(w: Working, quantity: number, price: number): Promise<void> {
    const row = await this.executeFill(w, quantity, price);
    const fillId = row?.fill_id;
    if (!row || !fillId) {
      this.working.delete(w.brokerOrderId);
      return;
    }
    w.filled += quantity;
    if (w.filled >= w.quantity) this.working.delete(w.brokerOrderId);
    const fill: Fill = {
      brokerFillId: fillId,
      brokerOrderId: w.brokerOrderId,
      clientOrderId: w.clientOrderId,
      quantity,
      price,
      filledAt: Date.now(),
    };
    const order = await this.toBrokerOrder(row, [fill]);
    for (const listener of this.fillListeners) listener(fill, order);
  }

  /**
   * Fills due within a millisecond go to the database together. Each is a compare-and-set on the
   * order's filled quantity: if another task adopted the order and filled it first, that fill does
   * not happen (no row comes back for it).
   */
  private executeFill(w: Working, quantity: number, price: number): Promise<FilledRow | undefined> {
    return new Promise((resolve, reject) => {
      this.fillQueue.push({ w, quantity, price, resolve, reject });
      this.fillTimer ??= setTimeout(() => void this.flushFills(), 1);
    });
  }

  private async flushFills(): Promise<void> {
    this.fillTimer = undefined;
    const batch = this.fillQueue;
    this.fillQueue = [];
    if (batch.length === 0) return;
    const ids = batch.map((b) => b.w.brokerOrderId);
    try {
      const { rows } = await this.query<FilledRow>(
        `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::int[], $3::numeric[], $4::int[]) AS x(broker_order_id, qty, price, expected)
         ), o AS (
           UPDATE paper.orders p
              SET filled_quantity = p.filled_quantity + x.qty,
                  avg_fill_price = (coalesce(p.avg_fill_price, 0) * p.filled_quantity + x.price * x.qty)
                                   / (p.filled_quantity + x.qty),
                  status = CASE WHEN p.filled_quantity + x.qty >= p.quantity THEN 'FILLED' ELSE 'OPEN' END,
                  updated_at = now()
             FROM input x
            WHERE p.broker_order_id = x.broker_order_id AND p.broker_order_id = ANY($1::text[])
              AND p.status = 'OPEN' AND p.filled_quantity = x.expected
           RETURNING p.*
         ), f AS (
           INSERT INTO paper.fills (fill_id, broker_order_id, quantity, price)
           SELECT 'PF-' || lpad(nextval('paper.fill_seq')::text, 10, '0'), o.broker_order_id, x.qty, x.price
             FROM o JOIN input x USING (broker_order_id)
           RETURNING fill_id, broker_order_id
         )
         SELECT o.*, f.fill_id FROM o JOIN f USING (broker_order_id)`,
        [
          ids,
          batch.map((b) => b.quantity),
          batch.map((b) => b.price),
          batch.map((b) => b.w.filled),
        ],
        'paper-fill-batch',
      );
      const byOrder = new Map(rows.map((r) => [r.broker_order_id, r]));
      for (const b of batch) b.resolve(byOrder.get(b.w.brokerOrderId));
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }

  private async toBrokerOrder(row: PaperOrderRow, knownFills?: Fill[]): Promise<BrokerOrder> {
    const fills =
      knownFills ??
      (
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
    return {
      brokerOrderId: row.broker_order_id,
      clientOrderId: row.client_order_id,
      strategyId: row.strategy_id,
      symbol: row.symbol,
      side: row.side,
      quantity: row.quantity,
      status: row.status,
      filledQuantity: row.filled_quantity,
      reason: row.reason ?? undefined,
      fills,
    };
  }

  /** `name`: prepared once per connection (the per-order statements). */
  private query<R extends QueryResultRow>(text: string, values?: unknown[], name?: string) {
    return this.db.query<R>(name ? { name, text, values } : { text, values });
  }
}
