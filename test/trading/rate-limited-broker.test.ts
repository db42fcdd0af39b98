import { PaperBroker } from '../../services/trading/src/broker/paper-broker';
import { withOrderRateLimit } from '../../services/trading/src/broker/rate-limited-broker';
import type { Order } from '../../services/trading/src/domain';
import { CircuitBreaker } from '../../services/trading/src/health/circuit-breaker';
import { createTestDatabase, type TestDatabase } from '../support/database';

const exit = (i: number): Order => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  clientOrderId: `exit-${i}`,
  strategyId: 'door',
  symbol: 'INFY',
  side: 'SELL',
  type: 'MARKET',
  quantity: 1,
  reduceOnly: true,
  status: 'NEW',
  filledQuantity: 0,
  tradingDay: '2026-11-26',
  createdAt: Date.now(),
});

describe('RateLimitedBroker behind the broker circuit breaker', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.close();
  });

  it('does not count an exit queued for its rate slot against the breaker call timeout', async () => {
    // Arrange: 2 messages a second, a breaker that times out a call after 250 ms and opens on
    // the first failure; 6 exits at once, so the last ones wait 1-2 s for their slots.
    const venue = new PaperBroker(
      db.pool,
      { quote: () => ({ price: 1500, bid: 1499.95, ask: 1500.05, receivedAt: Date.now() }) },
      { slippageBps: 0, latencyMs: 60_000, partialFillProbability: 0, seed: 1, tokenNames: [] },
    );
    const door = withOrderRateLimit(venue, db.pool, {
      bucket: 'test/door',
      taskId: 'door',
      limit: 2,
      marginMs: 200,
    });
    const breaker = new CircuitBreaker('broker', { failureThreshold: 1, callTimeoutMs: 250 });
    const started = Date.now();

    // Act: the order manager's wiring, the breaker passed as the door's `through`.
    const acks = await Promise.all(
      Array.from({ length: 6 }, (_, i) => door.submit(exit(i), (send) => breaker.run(send))),
    );
    const waited = Date.now() - started;

    // Assert
    expect(waited).toBeGreaterThan(1000);
    expect(acks.every((a) => a.brokerOrderId.startsWith('PB-'))).toBe(true);
    expect(breaker.snapshot()).toMatchObject({ state: 'CLOSED', consecutiveFailures: 0 });
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM paper.messages WHERE kind = 'NEW'",
    );
    expect(rows[0]?.n).toBe(6);
    await venue.close();
  });

  it('still times out a venue call that hangs once its slot is granted', async () => {
    // Arrange: a door whose venue never answers (its `through` is the breaker's timed run).
    const venue = new PaperBroker(
      db.pool,
      { quote: () => ({ price: 1500, bid: 1499.95, ask: 1500.05, receivedAt: Date.now() }) },
      { slippageBps: 0, latencyMs: 60_000, partialFillProbability: 0, seed: 1, tokenNames: [] },
    );
    const door = withOrderRateLimit(venue, db.pool, {
      bucket: 'test/door-hang',
      taskId: 'door',
      limit: 2,
      marginMs: 200,
    });
    const breaker = new CircuitBreaker('broker', { failureThreshold: 1, callTimeoutMs: 250 });
    const hung = new Promise<never>(() => undefined);

    // Act: the breaker wraps what the door sends; here the send never settles.
    const outcome = door
      .submit(exit(100), (send) => breaker.run(() => send().then(() => hung)))
      .catch((error: unknown) => error);

    // Assert
    expect(await outcome).toMatchObject({ name: 'TimeoutError' });
    expect(breaker.snapshot().state).toBe('OPEN');
    await venue.close();
  });
});
