import type { Pool } from 'pg';
import {
  type Fill,
  isStopType,
  type OrderType,
  roundToTick,
  type Side,
  sideSign,
  triggerReached,
} from '../domain';
import { seededRandom } from '../market/random';
import type { BrokerOrder, QuoteSource } from './broker';
import { brokerOrderOf, type PaperOrderRow } from './paper-orders';

/** How the paper venue fills. */
export interface PaperMatchingOptions {
  /** Adverse price move of a market fill, in basis points. */
  readonly slippageBps: number;
  /** Delay from acknowledgement to the first fill, ms. */
  readonly latencyMs: number;
  /** Chance that a fill comes in two parts. */
  readonly partialFillProbability: number;
  readonly seed: number;
  /** Price tick used to round fill prices. @default 0.05 */
  readonly tickSize?: number;
  /** A fill attempt failed (e.g. the database); it is retried on the next price. */
  readonly onError?: (error: unknown, clientOrderId: string) => void;
}

/** An order the paper venue is working on (filling when the price allows). */
export interface PaperWorkingOrder {
  readonly brokerOrderId: string;
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  /** Quantity, limit and trigger change with a modify. */
  quantity: number;
  limitPrice?: number;
  triggerPrice?: number;
  /** A stop whose trigger the last price has reached (recorded in `paper.orders.triggered_at`). */
  triggered: boolean;
  filled: number;
  busy: boolean;
  /** Counts modifies: a fill computed before one is not written after it. */
  version: number;
}

type FilledRow = PaperOrderRow & { fill_id: string };

/** How long a fill waits for others to share its statement (a venue's fills come in bursts). */
const FILL_BATCH_MS = 5;

interface PendingFill {
  readonly w: PaperWorkingOrder;
  /** The order's quantity the fill was computed for. */
  readonly quantityAtMatch: number;
  readonly quantity: number;
  readonly price: number;
  resolve(row: FilledRow | undefined): void;
  reject(error: unknown): void;
}

/**
 * The paper venue's matching: fills market orders after a latency with slippage (sometimes in
 * two parts) and limit orders once the price reaches them; a stop (SL, SL-M) waits until the last
 * price reaches its trigger, then works as a limit (SL) or market (SL-M) order. Each fill goes to
 * `paper.fills`
 * as a compare-and-set on the order's filled quantity, then reporting it to `onFilled`.
 */
export class PaperMatching {
  private readonly working = new Map<string, PaperWorkingOrder>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private fillQueue: PendingFill[] = [];
  private fillTimer?: NodeJS.Timeout;
  private readonly random: () => number;
  private closed = false;

  constructor(
    private readonly db: Pool,
    private readonly quotes: QuoteSource,
    private readonly options: PaperMatchingOptions,
    private readonly onFilled: (fill: Fill, order: BrokerOrder) => void,
  ) {
    this.random = seededRandom(options.seed);
  }

  /** False once closed: no timer fires any more. */
  running(): boolean {
    return !this.closed;
  }

  /** Whether the venue is working on this order. */
  isWorking(brokerOrderId: string): boolean {
    return this.working.has(brokerOrderId);
  }

  /** Starts working on an order: its first fill attempt comes after the latency. */
  work(w: PaperWorkingOrder): void {
    this.working.set(w.brokerOrderId, w);
    this.later(this.options.latencyMs, () => this.match(w));
  }

  /** A working order's new quantity, limit or trigger (a modify): tried against the price now. */
  amend(
    clientOrderId: string,
    changes: { quantity: number; limitPrice?: number; triggerPrice?: number },
  ): void {
    for (const w of this.working.values()) {
      if (w.clientOrderId !== clientOrderId) continue;
      w.quantity = changes.quantity;
      w.limitPrice = changes.limitPrice;
      w.triggerPrice = changes.triggerPrice;
      w.version += 1;
      void this.match(w);
    }
  }

  /** Stops working on the order with this client order id (it was cancelled). */
  stop(clientOrderId: string): void {
    for (const [id, w] of this.working)
      if (w.clientOrderId === clientOrderId) this.working.delete(id);
  }

  /** Stops working on the orders of these strategies (another task adopts them). */
  release(strategyIds: readonly string[]): void {
    for (const [id, w] of this.working)
      if (strategyIds.includes(w.strategyId)) this.working.delete(id);
  }

  /** Tries every working order in the symbol against its new price. */
  onQuote(symbol: string): void {
    for (const w of this.working.values()) if (w.symbol === symbol) void this.match(w);
  }

  /** Stops every timer and forgets the working orders. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.working.clear();
  }

  private later(ms: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) void fn();
    }, ms);
    this.timers.add(timer);
  }

  /** Never rejects: a failed attempt is reported and the next price tries again. */
  private async match(w: PaperWorkingOrder): Promise<void> {
    try {
      await this.tryMatch(w);
    } catch (error) {
      w.busy = false;
      this.options.onError?.(error, w.clientOrderId);
    }
  }

  private async tryMatch(w: PaperWorkingOrder): Promise<void> {
    if (w.busy || !this.working.has(w.brokerOrderId)) return;
    const quote = this.quotes.quote(w.symbol);
    if (!quote) return;
    if (isStopType(w.type) && !w.triggered) {
      if (w.triggerPrice === undefined || !triggerReached(w.side, w.triggerPrice, quote.price))
        return;
      w.busy = true;
      try {
        await this.recordTrigger(w);
      } finally {
        w.busy = false;
      }
    }
    const touch = w.side === 'BUY' ? quote.ask : quote.bid;
    // An SL is released as a limit order, an SL-M as a market order.
    const limit = w.type === 'LIMIT' || w.type === 'SL' ? w.limitPrice : undefined;
    if (limit !== undefined) {
      const marketable = w.side === 'BUY' ? touch <= limit : touch >= limit;
      if (!marketable) return;
    }
    const slip =
      limit === undefined ? (touch * this.options.slippageBps * this.random()) / 10_000 : 0;
    let price = roundToTick(touch + sideSign(w.side) * slip, this.options.tickSize ?? 0.05);
    if (limit !== undefined) {
      price = w.side === 'BUY' ? Math.min(price, limit) : Math.max(price, limit);
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

  /** The venue's record that the stop was released, so that a task adopting it keeps it released. */
  private async recordTrigger(w: PaperWorkingOrder): Promise<void> {
    await this.db.query({
      name: 'paper-trigger',
      text: `UPDATE paper.orders SET triggered_at = coalesce(triggered_at, clock_timestamp()), updated_at = now()
              WHERE broker_order_id = $1`,
      values: [w.brokerOrderId],
    });
    w.triggered = true;
  }

  private async fill(w: PaperWorkingOrder, quantity: number, price: number): Promise<void> {
    const version = w.version;
    const row = await this.executeFill(w, quantity, price);
    const fillId = row?.fill_id;
    if (!row || !fillId) {
      // Modified meanwhile: the fill was for the old quantity; the next price tries the new one.
      if (w.version !== version && this.working.has(w.brokerOrderId))
        this.later(this.options.latencyMs, () => this.match(w));
      else this.working.delete(w.brokerOrderId);
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
    this.onFilled(fill, brokerOrderOf(row, [fill]));
  }

  /**
   * Fills due within `FILL_BATCH_MS` go to the database together. Each is a compare-and-set on the
   * order's filled and total quantity: if another task adopted the order and filled it first, or a
   * modify changed its quantity, that fill does not happen (no row comes back for it).
   */
  private executeFill(
    w: PaperWorkingOrder,
    quantity: number,
    price: number,
  ): Promise<FilledRow | undefined> {
    return new Promise((resolve, reject) => {
      this.fillQueue.push({ w, quantityAtMatch: w.quantity, quantity, price, resolve, reject });
      this.fillTimer ??= setTimeout(() => void this.flushFills(), FILL_BATCH_MS);
    });
  }

  private async flushFills(): Promise<void> {
    this.fillTimer = undefined;
    const batch = this.fillQueue;
    this.fillQueue = [];
    if (batch.length === 0) return;
    const ids = batch.map((b) => b.w.brokerOrderId);
    try {
      // Planned once per connection: the venue's pool plans lookups by key however few orders it
      // held when it planned (`keyedPlans`).
      const { rows } = await this.db.query<FilledRow>({
        name: 'paper-fill-batch',
        text: `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::int[], $3::numeric[], $4::int[], $5::int[])
                    AS x(broker_order_id, qty, price, expected, expected_quantity)
         ), o AS (
           UPDATE paper.orders p
              SET filled_quantity = p.filled_quantity + x.qty,
                  avg_fill_price = (coalesce(p.avg_fill_price, 0) * p.filled_quantity + x.price * x.qty)
                                   / (p.filled_quantity + x.qty),
                  status = CASE WHEN p.filled_quantity + x.qty >= p.quantity THEN 'FILLED' ELSE 'OPEN' END,
                  updated_at = now()
             FROM input x
            WHERE p.broker_order_id = x.broker_order_id AND p.broker_order_id = ANY($1::text[])
              AND p.status = 'OPEN' AND p.filled_quantity = x.expected AND p.quantity = x.expected_quantity
           RETURNING p.*
         ), f AS (
           INSERT INTO paper.fills (fill_id, broker_order_id, quantity, price)
           SELECT 'PF-' || lpad(nextval('paper.fill_seq')::text, 10, '0'), o.broker_order_id, x.qty, x.price
             FROM o JOIN input x USING (broker_order_id)
           RETURNING fill_id, broker_order_id
         )
         SELECT o.*, f.fill_id FROM o JOIN f USING (broker_order_id)`,
        values: [
          ids,
          batch.map((b) => b.quantity),
          batch.map((b) => b.price),
          batch.map((b) => b.w.filled),
          batch.map((b) => b.quantityAtMatch),
        ],
      });
      const byOrder = new Map(rows.map((r) => [r.broker_order_id, r]));
      for (const b of batch) b.resolve(byOrder.get(b.w.brokerOrderId));
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }
}
