import { databasePerTest, eventually, type Harness, startHarness } from './harness';
import { infyEntry } from './order-requests';

// The broker's daily order cap reached with a position open: the exit is refused, loudly.
describe('TradingService at the broker daily order cap', () => {
  let h: Harness;
  const db = databasePerTest(() => h);

  it('refuses an exit ORDER_RATE at the daily cap and records a BREACH risk event', async () => {
    // Arrange: a position open, then the day's messages used up (as by other tasks' orders).
    h = await startHarness({
      url: db.url,
      flag: 'true',
      brokerCaps: { label: 'Kite', perSecond: 10, perMinute: 200, perDay: 50 },
    });
    h.quoteAll();
    await h.service.submitOrder(infyEntry());
    await eventually(() => h.internals.portfolio.position('manual', 'INFY')?.quantity === 100);
    await db.pool.query(
      "UPDATE order_rate_buckets SET day_count = 50 WHERE bucket = 'local/client'",
    );

    // Act
    const exit = await h.service.submitOrder(
      infyEntry({ side: 'SELL', reduceOnly: true, stopPrice: undefined }),
    );

    // Assert: refused, the position still open, and a breach for a person to act on.
    expect(exit).toMatchObject({
      outcome: 'REJECTED',
      reason: 'ORDER_RATE',
      message: expect.stringContaining("Kite's 50 orders a day are used up"),
    });
    expect(h.internals.portfolio.position('manual', 'INFY')?.quantity).toBe(100);
    await eventually(
      async () =>
        (
          await db.pool.query(
            "SELECT 1 FROM risk_events WHERE kind = 'BREACH' AND rule = 'BROKER_DAILY_ORDER_CAP'",
          )
        ).rowCount === 1,
      10_000,
      'the BROKER_DAILY_ORDER_CAP breach recorded',
    );
  });
});
