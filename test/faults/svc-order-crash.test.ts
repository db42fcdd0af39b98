import type { ServiceProcess } from '../support/processes';
import { FAULT_TEST_CONTROL_TOKEN as TOKEN, tradingTasksEach } from '../support/trading-tasks';
import { eventually } from '../trading/harness';

// Wide enough that only a crash can stop an order; the bucket is the stage's (local) client.
const LIMITS = {
  capitalInr: 1_000_000_000,
  maxOrderNotionalInr: 1_000_000,
  maxPositionNotionalInr: 100_000_000,
  maxOrdersPerSecond: 5000,
  registeredAlgo: true,
  duplicateWindowMs: 0,
};
const BUCKET = 'local/client';

/**
 * SIGKILL of the trading process while its group commit of new orders is in flight. The
 * invariants: an order acknowledged to its caller (201) is in the orders table; the venue holds no
 * order the table does not; after a restart takes the strategy over, the table and the venue agree
 * (what never reached the venue is cancelled, nothing is left NEW).
 */
describe('trading process killed during a batch commit (SIGKILL)', () => {
  const tasks = tradingTasksEach();

  async function start(taskId: string): Promise<ServiceProcess> {
    const service = await tasks.start(taskId, {
      RISK_LIMITS: JSON.stringify(LIMITS),
      PAPER_LATENCY_MS: '5',
    });
    await eventually(
      async () => {
        const view = (await (await fetch(`${service.baseUrl}/state`)).json()) as {
          state: string;
          strategies: { held: string[] };
        };
        return view.state === 'ACTIVE' && view.strategies.held.includes('manual');
      },
      20_000,
      `${taskId} trading the manual strategy`,
    );
    return service;
  }

  /** Posts an entry; resolves its HTTP status, or 0 when the process died before answering. */
  const post = (p: ServiceProcess, clientOrderId: string, i: number) =>
    fetch(`${p.baseUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        clientOrderId,
        symbol: 'INFY',
        side: i % 2 ? 'SELL' : 'BUY',
        type: 'MARKET',
        quantity: 1,
        stopPrice: i % 2 ? 1750 : 1400,
      }),
    }).then(
      (res) => res.status,
      () => 0,
    );

  const kill = async (p: ServiceProcess) => {
    p.proc.kill('SIGKILL');
    await p.exited();
  };

  const clientIds = async (sql: string) =>
    new Set((await tasks.db.pool.query<{ id: string }>(sql)).rows.map((r) => r.id));

  /**
   * After a replacement took the strategy over: nothing NEW is left, every order the venue holds
   * is in the table and working or done there, and every order the venue does not hold is
   * cancelled as never having reached it.
   */
  async function expectTableAndVenueAgree(acknowledged: ReadonlySet<string>): Promise<void> {
    await eventually(
      async () =>
        (await tasks.db.pool.query("SELECT 1 FROM orders WHERE status = 'NEW'")).rowCount === 0,
      20_000,
      'no order left NEW after the take-over',
    );
    const table = await clientIds('SELECT client_order_id AS id FROM orders');
    const venue = await clientIds('SELECT client_order_id AS id FROM paper.orders');
    const neverSent = await clientIds(
      `SELECT client_order_id AS id FROM orders
        WHERE status = 'CANCELLED' AND status_reason LIKE 'never reached the broker%'`,
    );
    for (const id of acknowledged) expect(table.has(id) && venue.has(id)).toBe(true);
    for (const id of venue) expect(table.has(id)).toBe(true);
    for (const id of table) expect(venue.has(id) || neverSent.has(id)).toBe(true);
  }

  it('loses no order and sends none it does not hold when killed with a batch waiting on its commit', async () => {
    // Arrange: the first batch's statement blocks on the order-rate bucket this test holds.
    const a = await start('task-a');
    // One order through first: the venue has a price, and the bucket its row.
    await eventually(
      async () => (await post(a, `warm-${Date.now()}`, 0)) === 201,
      10_000,
      'a price',
    );
    const blocker = await tasks.db.pool.connect();
    let answers: Array<Promise<number>> = [];
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM order_rate_buckets WHERE bucket = $1 FOR UPDATE', [
        BUCKET,
      ]);
      answers = Array.from({ length: 30 }, (_, i) => post(a, `held-${i}`, i));
      await eventually(
        async () =>
          (
            await tasks.db.pool.query(
              `SELECT 1 FROM pg_stat_activity
                WHERE application_name = 'trading/task-a/orders' AND wait_event_type = 'Lock'
                  AND query LIKE 'WITH input AS%'`,
            )
          ).rowCount === 1,
        10_000,
        'the batch statement waiting for the bucket lock',
      );

      // Act: kill the process mid-commit, then let its orphaned statement finish (or not).
      await kill(a);
    } finally {
      await blocker.query('COMMIT');
      blocker.release();
    }
    const statuses = await Promise.all(answers);
    await start('task-b');

    // Assert: nothing held was acknowledged or reached the venue, and the table settles.
    expect(statuses.filter((s) => s === 201)).toEqual([]);
    const venue = await clientIds('SELECT client_order_id AS id FROM paper.orders');
    expect([...venue].filter((id) => id.startsWith('held-'))).toEqual([]);
    await expectTableAndVenueAgree(new Set());
  }, 90_000);

  it('keeps every acknowledged order when killed under a steady stream of orders', async () => {
    // Arrange: 400 orders a second, each posted on its own.
    const a = await start('task-a');
    const answers: Array<Promise<{ id: string; status: number }>> = [];
    let i = 0;
    const stream = setInterval(() => {
      for (let k = 0; k < 4; k += 1, i += 1) {
        const id = `stream-${i}`;
        answers.push(post(a, id, i).then((status) => ({ id, status })));
      }
    }, 10);

    // Act: kill it once orders are flowing (acknowledged and in flight).
    await eventually(
      async () =>
        (await tasks.db.pool.query("SELECT 1 FROM orders WHERE status <> 'NEW' LIMIT 1"))
          .rowCount === 1,
      10_000,
      'orders acknowledged by the venue',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await kill(a);
    clearInterval(stream);
    const results = await Promise.all(answers);
    await start('task-b');

    // Assert
    const acknowledged = new Set(results.filter((r) => r.status === 201).map((r) => r.id));
    expect(acknowledged.size).toBeGreaterThan(0);
    expect(results.some((r) => r.status === 0)).toBe(true);
    await expectTableAndVenueAgree(acknowledged);
  }, 90_000);
});
