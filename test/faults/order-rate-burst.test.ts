import { RiskLimitsSchema } from '../../contract/risk-limits';
import type { OrderRequest } from '../../services/trading/src/domain';
import type { SubmitResult } from '../../services/trading/src/oms/order-manager';
import { DEFAULT_UNIVERSE } from '../../services/trading/src/universe';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, type Harness, startHarness, TestClock } from '../trading/harness';

// Limits wide enough that only the order rate can refuse a burst entry.
const LIMITS = RiskLimitsSchema.parse({
  capitalInr: 1_000_000_000,
  maxOrderNotionalInr: 10_000_000,
  maxPositionNotionalInr: 1_000_000_000,
  duplicateWindowMs: 0,
  maxOrdersPerSecond: 8,
});
const TASKS = ['a', 'b', 'c'];
const SYMBOLS = DEFAULT_UNIVERSE.slice(0, 5);

/** The most messages the paper venue received within any 1 s (its own receipt stamps). */
async function maxPerVenueSecond(db: TestDatabase): Promise<number> {
  const { rows } = await db.pool.query<{ peak: number | null }>(
    `SELECT max(n)::int AS peak FROM (
       SELECT (SELECT count(*) FROM paper.messages o
                WHERE o.received_at >= m.received_at
                  AND o.received_at < m.received_at + interval '1 second') AS n
         FROM paper.messages m) w`,
  );
  return rows[0]?.peak ?? 0;
}

describe('order-rate limit at the broker, 3 trading tasks on one database', () => {
  let db: TestDatabase;
  const tasks: Harness[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const clock = new TestClock();
    for (const t of TASKS) {
      const h = await startHarness({
        url: db.url,
        taskId: `task-${t}`,
        parameterFile: tasks[0]?.parameterFile,
        flag: 'true',
        clock,
        limits: LIMITS,
        strategies: [
          {
            id: `burst-${t}`,
            kind: 'MA_CROSSOVER',
            enabled: false,
            symbols: SYMBOLS.map((i) => i.symbol),
            fast: 5,
            slow: 20,
            stopPct: 1,
            riskFraction: 0.5,
          },
        ],
      });
      tasks.push(h);
      await eventually(
        () => h.service.leases.heldStrategies().includes(`burst-${t}`),
        10_000,
        `task-${t} holding burst-${t}`,
      );
      h.quoteAll();
    }
  }, 60_000);

  afterAll(async () => {
    for (const h of tasks) await h.stop();
    await db.close();
  });

  it('never lets more than the limit reach the venue in any second under a 1,000/s burst, and flattens every position', async () => {
    // Arrange: 1,000 entries a second for 2 s, spread over the three tasks.
    const entry = (i: number): OrderRequest => {
      const t = TASKS[i % TASKS.length] as string;
      const instrument = SYMBOLS[i % SYMBOLS.length] as (typeof SYMBOLS)[number];
      const price = tasks[0]?.service.portfolio.quote(instrument.symbol)?.price ?? 0;
      return {
        clientOrderId: `burst-${t}-${i}`,
        strategyId: `burst-${t}`,
        symbol: instrument.symbol,
        side: 'BUY',
        type: 'MARKET',
        quantity: 1,
        stopPrice: Math.floor(price * 0.99),
        reduceOnly: false,
      };
    };
    // Fresh prices: a retry of this test comes more than the 5 s quote age later.
    for (const h of tasks) h.quoteAll();
    const results: Array<Promise<SubmitResult>> = [];
    const start = Date.now();

    // Act: offer the burst on a schedule, without waiting for the answers.
    for (let i = 0; i < 2000; ) {
      const due = Math.floor(Date.now() - start);
      for (; i < Math.min(due, 2000); i += 1) {
        const task = tasks[i % tasks.length] as Harness;
        results.push(task.service.oms.submit(entry(i)));
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const outcomes = await Promise.all(results);
    const accepted = outcomes.filter((r) => r.outcome === 'ACCEPTED');
    const refusals = outcomes.flatMap((r) => (r.outcome === 'REJECTED' ? [r.reason] : []));
    // Every accepted entry fills, then every task flattens at once: exits must all go out.
    await eventually(
      () => tasks.every((h) => h.service.oms.workingOrders().length === 0),
      20_000,
      'every accepted entry filled',
    );
    const flattens = await Promise.all(tasks.map((h) => h.service.oms.flatten('drill', false)));
    expect(flattens.flatMap((f) => f.failed)).toEqual([]);
    await eventually(
      () => tasks.every((h) => h.service.portfolio.openPositions().length === 0),
      30_000,
      'every task flat',
    );

    // Assert
    expect(accepted.length).toBeGreaterThanOrEqual(LIMITS.maxOrdersPerSecond);
    expect(new Set(refusals)).toEqual(new Set(['ORDER_RATE']));
    expect(flattens.reduce((n, f) => n + f.submitted.length, 0)).toBeGreaterThan(0);
    expect(await maxPerVenueSecond(db)).toBeLessThanOrEqual(LIMITS.maxOrdersPerSecond);
  }, 90_000);
});
