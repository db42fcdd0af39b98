import type {
  Broker,
  BrokerOrder,
  BrokerPosition,
  BrokerToken,
  OrderChanges,
  SendThrough,
} from '../../services/trading/src/broker/broker';
import { sendDirectly } from '../../services/trading/src/broker/broker';
import type { PaperBroker } from '../../services/trading/src/broker/paper-broker';
import type { Fill, Order } from '../../services/trading/src/domain';
import type { SubmitResult } from '../../services/trading/src/oms/order-manager';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, type Harness, startHarness } from '../trading/harness';

/**
 * The paper venue behind a line that can go silent: while `hang` is on, submit, modify, cancel, getOrder
 * and positions get no answer. `answerAgain` reopens the line and either delivers the held
 * requests late, in the order they were made (they were on their way), or drops them (lost).
 */
class HangingBroker implements Broker {
  readonly name: string;
  /** Submits that reached the venue, by client order id: a re-send would show here. */
  readonly delivered = new Map<string, number>();
  private held: Array<{ run: () => Promise<void>; drop: () => void }> = [];
  private hanging = false;

  constructor(private readonly venue: PaperBroker) {
    this.name = venue.name;
  }

  hang(): void {
    this.hanging = true;
  }

  /** The broker answers again; what was sent meanwhile arrives late, or never. */
  async answerAgain(held: 'deliver' | 'drop'): Promise<void> {
    this.hanging = false;
    const calls = this.held;
    this.held = [];
    for (const call of calls) {
      if (held === 'deliver') await call.run();
      else call.drop();
    }
  }

  heldCalls(): number {
    return this.held.length;
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.hanging) return fn();
    return new Promise<T>((resolve, reject) => {
      this.held.push({
        run: () => fn().then(resolve, reject),
        // A lost request: its caller never hears back (the breaker's timeout has answered it).
        drop: () => undefined,
      });
    });
  }

  connected(): boolean {
    return this.venue.connected();
  }
  onFill(listener: (fill: Fill, order: BrokerOrder) => void): void {
    this.venue.onFill(listener);
  }
  onOrderClosed(listener: (order: BrokerOrder) => void): void {
    this.venue.onOrderClosed(listener);
  }
  // The line is what `through` times (the breaker's call timeout): the hang happens inside it.
  submit(order: Order, through: SendThrough = sendDirectly): Promise<{ brokerOrderId: string }> {
    return through(() =>
      this.call(() => {
        this.delivered.set(order.clientOrderId, (this.delivered.get(order.clientOrderId) ?? 0) + 1);
        return this.venue.submit(order);
      }),
    );
  }
  cancel(clientOrderId: string, through: SendThrough = sendDirectly): Promise<void> {
    return through(() => this.call(() => this.venue.cancel(clientOrderId)));
  }
  modify(
    clientOrderId: string,
    changes: OrderChanges,
    through: SendThrough = sendDirectly,
  ): Promise<void> {
    return through(() => this.call(() => this.venue.modify(clientOrderId, changes)));
  }
  getOrder(clientOrderId: string): Promise<BrokerOrder | undefined> {
    return this.call(() => this.venue.getOrder(clientOrderId));
  }
  positions(): Promise<BrokerPosition[]> {
    return this.call(() => this.venue.positions());
  }
  adopt(strategyIds: readonly string[]): Promise<void> {
    return this.venue.adopt(strategyIds);
  }
  release(strategyIds: readonly string[]): void {
    this.venue.release(strategyIds);
  }
  tokens(): Promise<BrokerToken[]> {
    return this.venue.tokens();
  }
  onQuote(symbol: string): void {
    this.venue.onQuote(symbol);
  }
  close(): Promise<void> {
    return this.venue.close();
  }
}

/** Rejects if `promise` has not settled within `ms`: a call that must finish, bounded. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const CALL_TIMEOUT_MS = 300;
const SYMBOLS = ['INFY', 'TCS', 'RELIANCE', 'ITC', 'SBIN'];

describe('trading service with a broker that times out', () => {
  let db: TestDatabase;
  let h: Harness;
  let broker: HangingBroker;

  beforeEach(async () => {
    db = await createTestDatabase();
    h = await startHarness({
      url: db.url,
      flag: 'true',
      brokerTimeoutMs: CALL_TIMEOUT_MS,
      breakerResetMs: 1000,
      wrapBroker: (venue) => {
        broker = new HangingBroker(venue);
        return broker;
      },
    });
    h.quoteAll();
  }, 60_000);

  afterEach(async () => {
    await broker.answerAgain('drop');
    await h.stop();
    await db.close();
  }, 60_000);

  const entry = (
    clientOrderId: string,
    symbol: string,
    extra: { type?: 'MARKET' | 'LIMIT'; limitPrice?: number } = {},
  ): Promise<SubmitResult> => {
    const price = symbol === 'INFY' ? 1500 : (h.internals.portfolio.quote(symbol)?.price ?? 0);
    return h.service.submitOrder({
      clientOrderId,
      strategyId: 'manual',
      symbol,
      side: 'BUY',
      type: extra.type ?? 'MARKET',
      limitPrice: extra.limitPrice,
      quantity: 2,
      stopPrice: Math.round(price * 0.97),
      reduceOnly: false,
    });
  };

  const ours = async () =>
    (
      await db.pool.query<{ client_order_id: string; status: string; broker_order_id: string }>(
        'SELECT client_order_id, status, broker_order_id FROM orders ORDER BY client_order_id',
      )
    ).rows;
  const venueOrders = async () =>
    (
      await db.pool.query<{ client_order_id: string; status: string; broker_order_id: string }>(
        'SELECT client_order_id, status, broker_order_id FROM paper.orders ORDER BY client_order_id',
      )
    ).rows;

  it('times out hung placements, halts on the open breaker, and closes it by itself once the broker answers, sending nothing twice', async () => {
    // Arrange: the broker stops answering
    broker.hang();

    // Act: five entries; each placement hangs
    const started = Date.now();
    const results = await Promise.all(SYMBOLS.map((s, i) => entry(`hung-${i}`, s)));
    const elapsed = Date.now() - started;

    // Assert: each one answered by the breaker's timeout as uncertain, not refused or lost
    for (const r of results) {
      expect(r).toMatchObject({
        outcome: 'UNCERTAIN',
        message: expect.stringContaining(`did not answer within ${CALL_TIMEOUT_MS} ms`),
      });
    }
    expect(elapsed).toBeLessThan(CALL_TIMEOUT_MS * 10);
    const halted = await eventually(
      () => {
        const view = h.service.stateView();
        return view.state === 'HALTED' ? view : undefined;
      },
      3000,
      'HALTED by the broker breaker',
    );
    expect(halted.cause).toMatch(/^broker circuit breaker (OPEN|HALF_OPEN): .*did not answer/);
    expect(halted.inputs).toEqual(
      expect.arrayContaining([
        { name: 'breaker:broker', ok: false, cause: expect.stringMatching(/did not answer/) },
      ]),
    );

    // Act: while it hangs, an entry, a retry of an uncertain one, and a reconciliation round
    const refused = await entry('while-open', 'HDFCBANK');
    const retried = await entry('hung-0', 'INFY');
    const settled = await within(
      h.internals.oms.reconcileUncertain(0),
      CALL_TIMEOUT_MS * 10,
      'reconcileUncertain with the broker hung',
    );

    // Assert: nothing new goes out; the retry is the same order; reconciliation gives up for now
    expect(refused).toMatchObject({ outcome: 'REJECTED', reason: 'TRADING_HALTED' });
    expect(retried).toMatchObject({ outcome: 'EXISTING' });
    expect(settled).toBe(0);
    expect(h.service.workingOrders().map((o) => o.status)).toEqual(SYMBOLS.map(() => 'NEW'));

    // Act: the broker answers again; the placements that hung arrive late
    await broker.answerAgain('deliver');

    // Assert: the breaker closes through its own probe, and trading resumes without anyone
    await eventually(
      () => h.internals.breakers.broker.state() === 'CLOSED',
      5000,
      'the broker breaker closed by its probe',
    );
    await eventually(() => h.service.stateView().state === 'ACTIVE', 3000, 'ACTIVE again');
    expect(h.internals.breakers.broker.snapshot().lastResetBy).toBeUndefined();

    // Assert: each order reached the venue once, filled once, and our books agree with it. The
    // halt's cancels queue for rate slots behind the five entries; those still queued when the
    // late placements fill are moot (market orders that arrived first on the same line) and must
    // not mark a filled order CANCELLED: the books are compared once none is left waiting.
    await eventually(
      () => SYMBOLS.every((s) => h.internals.portfolio.position('manual', s)?.quantity === 2),
      5000,
      'the late placements filled',
    );
    await eventually(
      () => h.service.rateLimitsView().every((r) => r.waiting === 0),
      5000,
      "the halt's cancels out of the order-rate line",
    );
    await h.internals.oms.drain();
    expect([...broker.delivered.values()]).toEqual(SYMBOLS.map(() => 1));
    const venue = await venueOrders();
    expect(venue.map((o) => [o.client_order_id, o.status])).toEqual(
      SYMBOLS.map((_, i) => [`hung-${i}`, 'FILLED']),
    );
    expect((await ours()).filter((o) => o.client_order_id.startsWith('hung-'))).toEqual(venue);
  }, 60_000);

  it('marks a late-arriving placement acknowledged, and does not take a cancel that timed out for done', async () => {
    // Arrange: a limit entry below the market (it rests); its placement hangs, then arrives late
    broker.hang();
    const placed = await entry('resting', 'INFY', { type: 'LIMIT', limitPrice: 1480 });
    expect(placed.outcome).toBe('UNCERTAIN');
    await broker.answerAgain('deliver');
    const [atVenue] = await venueOrders();
    expect(atVenue).toMatchObject({ client_order_id: 'resting', status: 'OPEN' });

    // Act: reconciliation looks it up
    await h.internals.oms.reconcileUncertain(0);
    await h.internals.oms.drain();

    // Assert: working, acknowledged with the venue's id, in memory and in the table
    expect(h.service.workingOrders()).toEqual([
      expect.objectContaining({
        clientOrderId: 'resting',
        status: 'ACK',
        brokerOrderId: atVenue?.broker_order_id,
      }),
    ]);
    expect(await ours()).toEqual([
      { client_order_id: 'resting', status: 'ACK', broker_order_id: atVenue?.broker_order_id },
    ]);

    // Act: the broker hangs again and the cancel is lost on the way
    broker.hang();
    const cancel = await h.internals.oms.cancelWorking('entries', 'test');
    await broker.answerAgain('drop');

    // Assert: the cancel failed after the timeout; the order is still working on both sides
    expect(cancel).toEqual({ cancelled: [], failed: ['resting'] });
    expect(h.service.workingOrders().map((o) => o.clientOrderId)).toEqual(['resting']);
    expect((await venueOrders())[0]?.status).toBe('OPEN');

    // Act: the broker answers; the cancel is repeated
    const again = await h.internals.oms.cancelWorking('entries', 'test');

    // Assert: cancelled once, on both sides
    expect(again).toEqual({ cancelled: ['resting'], failed: [] });
    await h.internals.oms.drain();
    expect((await venueOrders()).map((o) => o.status)).toEqual(['CANCELLED']);
    expect((await ours()).map((o) => o.status)).toEqual(['CANCELLED']);
  }, 60_000);

  it('cancels in our books a placement the broker never received, and does not send it again', async () => {
    // Arrange: a placement that hangs and is lost
    broker.hang();
    const placed = await entry('lost', 'TCS');
    expect(placed.outcome).toBe('UNCERTAIN');
    await broker.answerAgain('drop');

    // Act: reconciliation looks it up
    const settled = await h.internals.oms.reconcileUncertain(0);
    await h.internals.oms.drain();

    // Assert: the broker's record decides: never arrived, so cancelled here, nothing re-sent
    expect(settled).toBe(1);
    expect(broker.delivered.size).toBe(0);
    expect(await venueOrders()).toEqual([]);
    expect((await ours()).map((o) => [o.client_order_id, o.status])).toEqual([
      ['lost', 'CANCELLED'],
    ]);
    expect(h.service.workingOrders()).toEqual([]);
  }, 60_000);
});
