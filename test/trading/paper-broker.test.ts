import type { Pool } from 'pg';
import { istDate, istTimeOn } from '../../services/common/time';
import type { Quote } from '../../services/trading/src/broker/broker';
import {
  PaperBroker,
  type PaperBrokerOptions,
} from '../../services/trading/src/broker/paper-broker';
import type { Fill, Order } from '../../services/trading/src/domain';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from './harness';

const order = (overrides: Partial<Order> = {}): Order => ({
  id: 'o-1',
  clientOrderId: 'c-1',
  strategyId: 'manual',
  symbol: 'INFY',
  side: 'BUY',
  type: 'MARKET',
  quantity: 100,
  reduceOnly: false,
  status: 'NEW',
  filledQuantity: 0,
  tradingDay: '2026-11-23',
  createdAt: Date.now(),
  ...overrides,
});

describe('PaperBroker', () => {
  let db: TestDatabase;
  let quotes: Map<string, Quote>;
  const brokers: PaperBroker[] = [];

  const broker = (options: Partial<PaperBrokerOptions> = {}, pool: Pool = db.pool) => {
    const b = new PaperBroker(
      pool,
      { quote: (s) => quotes.get(s) },
      {
        slippageBps: 0,
        latencyMs: 1,
        partialFillProbability: 0,
        seed: 3,
        tokenNames: ['PRIMARY', 'WEBSOCKET1'],
        ...options,
      },
    );
    brokers.push(b);
    return b;
  };
  const fillsOf = (b: PaperBroker) => {
    const fills: Fill[] = [];
    b.onFill((f) => fills.push(f));
    return fills;
  };

  beforeEach(async () => {
    db = await createTestDatabase();
    quotes = new Map([
      ['INFY', { price: 1500, bid: 1499.95, ask: 1500.05, receivedAt: Date.now() }],
    ]);
  });
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.close()));
    await db.close();
  });

  it('acknowledges, then fills a market buy at the ask after the latency', async () => {
    const b = broker({ latencyMs: 50 });
    const fills = fillsOf(b);
    const started = Date.now();

    const ack = await b.submit(order());
    await eventually(() => fills.length === 1);

    expect(ack.brokerOrderId).toMatch(/^PB-\d{9}$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(fills[0]).toMatchObject({ quantity: 100, price: 1500.05, clientOrderId: 'c-1' });
    expect((await b.getOrder('c-1'))?.status).toBe('FILLED');
  });

  it('moves a market fill against the buyer by up to the slippage', async () => {
    const b = broker({ slippageBps: 20 });
    const fills = fillsOf(b);

    await b.submit(order());
    await eventually(() => fills.length === 1);

    expect(fills[0]?.price).toBeGreaterThanOrEqual(1500.05);
    expect(fills[0]?.price).toBeLessThanOrEqual(1500.05 * 1.002 + 0.05);
  });

  it('fills in two parts when a partial fill is drawn', async () => {
    const b = broker({ partialFillProbability: 1 });
    const fills = fillsOf(b);

    await b.submit(order());
    await eventually(() => fills.reduce((s, f) => s + f.quantity, 0) === 100);

    expect(fills).toHaveLength(2);
    expect(fills[0]?.quantity).toBeLessThan(100);
  });

  it('rests a limit order until the price reaches it', async () => {
    const b = broker();
    const fills = fillsOf(b);

    await b.submit(order({ type: 'LIMIT', limitPrice: 1490 }));
    await new Promise((r) => setTimeout(r, 30));
    const whileAbove = fills.length;
    quotes.set('INFY', { price: 1489, bid: 1488.95, ask: 1489.05, receivedAt: Date.now() });
    b.onQuote('INFY');
    await eventually(() => fills.length === 1);

    expect(whileAbove).toBe(0);
    expect(fills[0]?.price).toBe(1489.05);
  });

  it('keeps a released SL released when another venue adopts it: it fills with the price back above its trigger', async () => {
    // Arrange: a sell stop 1495 with limit 1490; the price touches 1494 (released) and the limit
    // is not reached before the first venue stops working it.
    const first = broker();
    await first.submit(
      order({ side: 'SELL', type: 'SL', triggerPrice: 1495, limitPrice: 1490, quantity: 10 }),
    );
    quotes.set('INFY', { price: 1494, bid: 1489, ask: 1494.05, receivedAt: Date.now() });
    first.onQuote('INFY');
    await eventually(
      async () =>
        (await db.pool.query('SELECT 1 FROM paper.orders WHERE triggered_at IS NOT NULL')).rowCount,
    );
    first.release(['manual']);
    // The price comes back above the trigger: only a released stop may still fill now.
    quotes.set('INFY', { price: 1500, bid: 1499.95, ask: 1500.05, receivedAt: Date.now() });

    // Act
    const second = broker();
    const fills = fillsOf(second);
    await second.adopt(['manual']);
    second.onQuote('INFY');

    // Assert
    await eventually(() => fills.length === 1);
    expect(fills[0]).toMatchObject({ quantity: 10, price: 1499.95 });
  });

  it('refuses an order with no market', async () => {
    await expect(broker().submit(order({ symbol: 'TCS' }))).rejects.toThrow('no market in TCS');
  });

  it('never fills one order twice when two venues work it', async () => {
    const first = broker({ latencyMs: 10_000 });
    await first.submit(order({ type: 'LIMIT', limitPrice: 1400 }));
    const a = broker();
    const b = broker();
    const all: Fill[] = [];
    a.onFill((f) => all.push(f));
    b.onFill((f) => all.push(f));
    await Promise.all([a.adopt(['manual']), b.adopt(['manual'])]);

    quotes.set('INFY', { price: 1399, bid: 1399, ask: 1399, receivedAt: Date.now() });
    a.onQuote('INFY');
    b.onQuote('INFY');
    await eventually(async () => (await a.getOrder('c-1'))?.status === 'FILLED');
    await new Promise((r) => setTimeout(r, 50));

    expect(all).toHaveLength(1);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM paper.fills')).rows[0].n).toBe(1);
  });

  it('reports positions per strategy from its own fills, and daily tokens', async () => {
    const b = broker();
    const fills = fillsOf(b);
    await b.submit(order());
    await b.submit(order({ id: 'o-2', clientOrderId: 'c-2', side: 'SELL', quantity: 40 }));
    await eventually(() => fills.length === 2);

    expect(await b.positions()).toEqual([{ strategyId: 'manual', symbol: 'INFY', quantity: 60 }]);
    const tokens = await b.tokens();
    expect(tokens.map((t) => t.name)).toEqual(['PRIMARY', 'WEBSOCKET1']);
    // Valid past today's close at any hour of the day (even just after midnight IST).
    const close = istTimeOn(istDate(Date.now()), '15:30');
    for (const t of tokens) expect(t.expiresAt).toBeGreaterThan(close);
  });
});
