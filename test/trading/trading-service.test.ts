import { randomUUID } from 'node:crypto';
import { GENERIC_ALGO_ID } from '../../contract/algo-id';
import { verifyAuditChain } from '../../services/common/db/audit';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, type Harness, startHarness, TestClock } from './harness';

// One manual-strategy entry: INFY at 1500 with a stop at 1485 (INR 1,500 at risk).
const infyEntry = (overrides: Record<string, unknown> = {}) => ({
  clientOrderId: randomUUID(),
  strategyId: 'manual',
  symbol: 'INFY',
  side: 'BUY' as const,
  type: 'MARKET' as const,
  quantity: 100,
  stopPrice: 1485,
  reduceOnly: false,
  ...overrides,
});

async function auditActions(db: TestDatabase) {
  const { rows } = await db.pool.query<{
    action: string;
    reason: string;
    before_state: unknown;
    after_state: unknown;
    actor: string;
  }>('SELECT action, reason, before_state, after_state, actor FROM control_audit ORDER BY id');
  return rows;
}

describe('TradingService against PostgreSQL', () => {
  let db: TestDatabase;
  let h: Harness;

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await h?.stop().catch(() => undefined);
    await db.close();
  });

  it('starts HALTED and goes ACTIVE when the flag says "true", auditing each transition with its cause', async () => {
    h = await startHarness({ url: db.url, flag: 'false' });
    expect(h.internals.states.state()).toBe('HALTED');

    await h.setFlag('true');

    expect(h.internals.states.state()).toBe('ACTIVE');
    // The transition's audit row is written in the background.
    const audit = await eventually(async () => {
      const rows = await auditActions(db);
      return rows.some((r) => r.action === 'state-transition') ? rows : undefined;
    });
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'state-transition',
        reason: 'flag is "true", not paused, no risk halt',
        before_state: { state: 'HALTED' },
        after_state: { state: 'ACTIVE' },
      }),
    );
    expect(h.service.metrics.get('algo_state_transitions_total', { to: 'ACTIVE' })).toBe(1);
  });

  it('shows garbage in the flag in /state and stays HALTED', async () => {
    h = await startHarness({ url: db.url, flag: 'yes please' });

    const state = h.service.stateView();

    expect(state.state).toBe('HALTED');
    expect(state.flag).toMatchObject({
      value: 'yes please',
      enabled: false,
      reason: 'flag is "yes please"',
      status: 'OK',
    });
  });

  it('records an order before the broker sees it, then fills it and books the position', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    // A price with paise: SQL parameters must not assume whole rupees.
    h.quoteAll({ INFY: 1500.35 });

    const result = await h.service.submitOrder(infyEntry());

    expect(result.outcome).toBe('ACCEPTED');
    const order = await eventually(async () => {
      const { rows } = await db.pool.query("SELECT * FROM orders WHERE status = 'FILLED'");
      return rows[0];
    });
    expect(order).toMatchObject({
      symbol: 'INFY',
      quantity: 100,
      filled_quantity: 100,
      fence_token: expect.any(String),
    });
    const { rows: positions } = await db.pool.query(
      'SELECT strategy_id, symbol, quantity, stop_price FROM positions',
    );
    expect(positions).toEqual([
      { strategy_id: 'manual', symbol: 'INFY', quantity: 100, stop_price: '1485.0000' },
    ]);
    expect(h.service.stateView().heat.pct).toBeCloseTo(0.15, 2);
  });

  it('writes a refused order as a risk event, not as an order', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    h.quoteAll();

    const result = await h.service.submitOrder(infyEntry({ stopPrice: 1400 }));
    await eventually(async () => (await db.pool.query('SELECT 1 FROM risk_events')).rowCount);

    expect(result).toMatchObject({ outcome: 'REJECTED', reason: 'PER_TRADE_RISK' });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(0);
    const { rows } = await db.pool.query('SELECT kind, rule, symbol FROM risk_events');
    expect(rows).toEqual([{ kind: 'REJECT', rule: 'PER_TRADE_RISK', symbol: 'INFY' }]);
    expect(
      h.service.metrics.get('algo_orders_rejected_total', {
        reason: 'PER_TRADE_RISK',
        algo: GENERIC_ALGO_ID,
      }),
    ).toBe(1);
  });

  it('pauses new entries service-wide, keeps exits, and audits who paused', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    h.quoteAll();
    await h.service.submitOrder(infyEntry());
    await eventually(() => h.internals.portfolio.position('manual', 'INFY')?.quantity === 100);

    await h.service.pause({ requestedBy: 'alice', reason: 'news at 11' });
    const entry = await h.service.submitOrder(
      infyEntry({ symbol: 'TCS', quantity: 10, stopPrice: 3400 }),
    );
    const exit = await h.service.submitOrder(
      infyEntry({ side: 'SELL', reduceOnly: true, stopPrice: undefined }),
    );

    expect(h.internals.states.state()).toBe('PAUSED');
    expect(entry).toMatchObject({ outcome: 'REJECTED', reason: 'TRADING_PAUSED' });
    expect(exit.outcome).toBe('ACCEPTED');
    const { rows } = await db.pool.query(
      "SELECT active, updated_by FROM service_controls WHERE name = 'pause'",
    );
    expect(rows).toEqual([{ active: true, updated_by: 'alice' }]);
    expect(await auditActions(db)).toContainEqual(
      expect.objectContaining({ action: 'pause', actor: 'alice', reason: 'news at 11' }),
    );
  });

  it('cancels working entry orders when halted', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    h.quoteAll();
    // A limit buy 1% under the market rests at the broker.
    const resting = await h.service.submitOrder(
      infyEntry({ type: 'LIMIT', limitPrice: 1485, stopPrice: 1470 }),
    );
    expect(resting.outcome).toBe('ACCEPTED');

    await h.setFlag('false');

    await eventually(
      async () => (await db.pool.query("SELECT 1 FROM orders WHERE status = 'CANCELLED'")).rowCount,
    );
    const { rows } = await db.pool.query('SELECT status, status_reason FROM orders');
    expect(rows[0]).toEqual({
      status: 'CANCELLED',
      status_reason: 'state HALTED: flag is "false"',
    });
    const { rows: venue } = await db.pool.query('SELECT status FROM paper.orders');
    expect(venue[0].status).toBe('CANCELLED');
  });

  it('flattens every position; the dry run lists the legs and sends nothing', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    h.quoteAll();
    await h.service.submitOrder(infyEntry());
    await h.service.submitOrder(
      infyEntry({ symbol: 'SBIN', side: 'SELL', quantity: 100, stopPrice: 830 }),
    );
    await eventually(() => h.internals.portfolio.openPositions().length === 2);
    h.quoteAll({ INFY: 1510, SBIN: 815 });

    const dry = await h.service.flatten({ requestedBy: 'bob', reason: 'check' }, true);
    const ordersAfterDryRun = (await db.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0]
      .n;
    const real = await h.service.flatten({ requestedBy: 'bob', reason: 'end of test' }, false);
    await eventually(() => h.internals.portfolio.openPositions().length === 0);

    expect(dry.legs).toEqual(
      expect.arrayContaining([
        {
          strategyId: 'manual',
          symbol: 'INFY',
          side: 'SELL',
          quantity: 100,
          lastPrice: 1510,
          estimatedPnl: 1000,
        },
        {
          strategyId: 'manual',
          symbol: 'SBIN',
          side: 'BUY',
          quantity: 100,
          lastPrice: 815,
          estimatedPnl: 500,
        },
      ]),
    );
    expect(dry.submitted).toEqual([]);
    expect(ordersAfterDryRun).toBe(2);
    expect(real.submitted).toHaveLength(2);
    expect(h.internals.portfolio.realizedInr()).toBeCloseTo(1500, 2);
    expect(await auditActions(db)).toContainEqual(
      expect.objectContaining({ action: 'flatten', actor: 'bob' }),
    );
  });

  it('never exits twice when two flattens run at once', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    h.quoteAll();
    await h.service.submitOrder(infyEntry());
    await eventually(() => h.internals.portfolio.position('manual', 'INFY')?.quantity === 100);

    const [a, b] = await Promise.all([
      h.service.flatten({ requestedBy: 'emergency-stop', reason: 'kill' }, false),
      h.service.flatten({ requestedBy: 'flatten-request', reason: 'kill' }, false),
    ]);
    await eventually(() => h.internals.portfolio.position('manual', 'INFY')?.quantity === 0);
    await new Promise((r) => setTimeout(r, 100));

    expect(a.submitted.length + b.submitted.length).toBe(1);
    expect(h.internals.portfolio.position('manual', 'INFY')?.quantity).toBe(0);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM orders WHERE reduce_only');
    expect(rows[0].n).toBe(1);
  });

  it('never exits twice when two exits are sent at once', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    h.quoteAll();
    await h.service.submitOrder(infyEntry());
    await eventually(() => h.internals.portfolio.position('manual', 'INFY')?.quantity === 100);

    const exit = () =>
      h.service.submitOrder(infyEntry({ side: 'SELL', reduceOnly: true, stopPrice: undefined }));
    const results = await Promise.all([exit(), exit()]);

    expect(results.map((r) => r.outcome).sort()).toEqual(['ACCEPTED', 'REJECTED']);
    expect(results.find((r) => r.outcome === 'REJECTED')).toMatchObject({ reason: 'NOT_REDUCING' });
  });

  it('hits the daily loss stop: HARD_HALT, flatten, kept across a restart until an audited reset', async () => {
    const clock = new TestClock();
    h = await startHarness({ url: db.url, flag: 'true', clock });
    h.quoteAll();
    await h.service.submitOrder(infyEntry({ quantity: 130, stopPrice: 1470 }));
    await eventually(() => h.internals.portfolio.position('manual', 'INFY')?.quantity === 130);

    // -200 x 130 = -26,000: past 2.5% of 1,000,000. The stop at 1470 is below; no stop-loss fires
    // because the quote jumps straight through it only for the loss check's sake.
    h.internals.portfolio.mark('INFY', {
      price: 1300,
      bid: 1300,
      ask: 1300,
      receivedAt: Date.now(),
    });
    await eventually(() => h.internals.states.state() === 'HARD_HALT');
    await eventually(
      () => h.internals.portfolio.openPositions().length === 0,
      5000,
      'flatten after the loss stop',
    );
    await h.stop();

    h = await startHarness({ url: db.url, flag: 'true', clock, taskId: 'task-b' });
    const afterRestart = h.internals.states.state();
    const entry = await h.service.submitOrder(infyEntry());
    await h.service.resetRiskHalt({ requestedBy: 'desk-lead', reason: 'reviewed the loss' });

    expect(afterRestart).toBe('HARD_HALT');
    expect(entry).toMatchObject({ outcome: 'REJECTED', reason: 'HARD_HALT' });
    expect(h.internals.states.state()).toBe('ACTIVE');
    const audit = await auditActions(db);
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'risk-halt',
        reason: expect.stringMatching(/^DAILY_LOSS_STOP/),
      }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'reset-risk-halt', actor: 'desk-lead' }),
    );
    const { rows } = await db.pool.query(
      "SELECT kind, rule FROM risk_events WHERE kind = 'BREACH'",
    );
    expect(rows).toEqual([{ kind: 'BREACH', rule: 'DAILY_LOSS_STOP' }]);
    expect(await verifyAuditChain(db.pool)).toMatchObject({ ok: true });
  });

  it('flattens once per flatten request written to the parameter, across restarts', async () => {
    h = await startHarness({ url: db.url, flag: 'true' });
    h.quoteAll();
    await h.service.submitOrder(infyEntry());
    await eventually(() => h.internals.portfolio.openPositions().length === 1);

    await h.store.putParameter(h.names.flagParameter, 'false', 'oncall');
    await h.store.putParameter(
      h.names.flattenRequestParameter,
      JSON.stringify({ id: 'kill-42', reason: 'drill', requester: 'oncall' }),
      'oncall',
    );
    await h.internals.flag.poll();
    await eventually(
      () => h.internals.portfolio.openPositions().length === 0,
      5000,
      'flatten by request',
    );
    // The result is recorded (flatten_requests, audit) in the background after the exits.
    await eventually(
      async () =>
        (await db.pool.query("SELECT 1 FROM control_audit WHERE action = 'flatten-request'"))
          .rowCount === 1,
      5000,
      'the flatten request to be audited',
    );
    await h.internals.flag.poll();
    await h.stop();
    h = await startHarness({ url: db.url, parameterFile: h.parameterFile, taskId: 'task-b' });
    await h.internals.flag.poll();

    const { rows } = await db.pool.query(
      'SELECT request_id, strategy_id, handled_by FROM flatten_requests ORDER BY strategy_id',
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { request_id: 'kill-42', strategy_id: 'manual', handled_by: 'task-a' },
      ]),
    );
    const exits = await db.pool.query('SELECT count(*)::int AS n FROM orders WHERE reduce_only');
    expect(exits.rows[0].n).toBe(1);
    expect(await auditActions(db)).toContainEqual(
      expect.objectContaining({
        action: 'flatten-request',
        actor: 'oncall',
        reason: 'flatten request kill-42: drill',
      }),
    );
  });

  it('ignores a flatten request written before trading was re-enabled', async () => {
    h = await startHarness({ url: db.url, flag: 'false' });
    await h.store.putParameter(
      h.names.flattenRequestParameter,
      JSON.stringify({ id: 'old', reason: 'x', requester: 'y' }),
      'y',
    );
    await new Promise((r) => setTimeout(r, 5));
    h.quoteAll();
    await h.setFlag('true');
    await h.service.submitOrder(infyEntry());
    await eventually(() => h.internals.portfolio.openPositions().length === 1);

    await h.internals.flag.poll();

    expect(h.internals.portfolio.openPositions()).toHaveLength(1);
  });
});

describe('reconciliation on take-over', () => {
  let db: TestDatabase;
  let h: Harness;

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await h?.stop().catch(() => undefined);
    await db.close();
  });

  /** What a task that died mid-flight leaves: orders of ours, the broker's record of them. */
  async function seedCrashedTask() {
    await db.pool.query(
      `INSERT INTO strategy_leases (strategy_id, holder, fence_token, expires_at) VALUES ('manual', 'dead-task', 1, now() - interval '1 s')`,
    );
    // 1. sent and filled at the broker, but our side only got as far as ACK
    await db.pool.query(
      `INSERT INTO orders (id, client_order_id, strategy_id, symbol, side, order_type, quantity, stop_price, status, broker_order_id, fence_token, trading_day)
       VALUES (gen_random_uuid(), 'filled-while-down', 'manual', 'INFY', 'BUY', 'MARKET', 100, 1485, 'ACK', 'PB-1', 1, '2026-11-23'),
              (gen_random_uuid(), 'never-sent', 'manual', 'TCS', 'BUY', 'MARKET', 10, 3400, 'NEW', NULL, 1, '2026-11-23')`,
    );
    await db.pool.query(
      `INSERT INTO paper.orders (broker_order_id, client_order_id, strategy_id, symbol, side, order_type, quantity, filled_quantity, avg_fill_price, status)
       VALUES ('PB-1', 'filled-while-down', 'manual', 'INFY', 'BUY', 'MARKET', 100, 100, 1501, 'FILLED')`,
    );
    await db.pool.query(
      `INSERT INTO paper.fills (fill_id, broker_order_id, quantity, price) VALUES ('PF-1', 'PB-1', 60, 1500), ('PF-2', 'PB-1', 40, 1502.5)`,
    );
  }

  it('applies fills the broker made while nobody held the strategy, and closes orders that never arrived', async () => {
    await seedCrashedTask();

    h = await startHarness({ url: db.url, flag: 'false', taskId: 'task-new' });

    const { rows } = await db.pool.query(
      'SELECT client_order_id, status, filled_quantity, status_reason FROM orders ORDER BY client_order_id',
    );
    expect(rows).toEqual([
      {
        client_order_id: 'filled-while-down',
        status: 'FILLED',
        filled_quantity: 100,
        status_reason: null,
      },
      {
        client_order_id: 'never-sent',
        status: 'CANCELLED',
        filled_quantity: 0,
        status_reason: 'never reached the broker (reconciled on take-over)',
      },
    ]);
    expect(h.internals.portfolio.position('manual', 'INFY')).toMatchObject({
      quantity: 100,
      avgPrice: 1501,
      stopPrice: 1485,
    });
    const report = h.service.stateView().reconciliation.find((r) => r.strategyId === 'manual');
    expect(report).toMatchObject({
      fillsApplied: 2,
      neverReachedBroker: ['never-sent'],
      positionMismatches: [],
    });
    const { rows: leases } = await db.pool.query(
      "SELECT holder, fence_token FROM strategy_leases WHERE strategy_id = 'manual'",
    );
    expect(leases).toEqual([{ holder: 'task-new', fence_token: '2' }]);
  });

  it('applies a fill once, however often reconciliation sees it', async () => {
    await seedCrashedTask();
    h = await startHarness({ url: db.url, flag: 'false', taskId: 'task-new' });
    await h.stop();

    h = await startHarness({ url: db.url, flag: 'false', taskId: 'task-third' });

    expect((await db.pool.query('SELECT count(*)::int AS n FROM fills')).rows[0].n).toBe(2);
    expect(h.internals.portfolio.position('manual', 'INFY')?.quantity).toBe(100);
  });

  it('halts with a risk halt when positions still differ from the broker', async () => {
    await db.pool.query(
      "INSERT INTO positions (strategy_id, symbol, quantity, avg_price) VALUES ('manual', 'ITC', 500, 410)",
    );

    h = await startHarness({ url: db.url, flag: 'true' });

    expect(h.internals.states.state()).toBe('HARD_HALT');
    expect(h.service.stateView().riskHalt?.reason).toMatch(/^RECONCILIATION_MISMATCH/);
    expect(await h.service.reconciliationView()).toMatchObject({
      ok: false,
      mismatches: [{ position: 'manual/ITC', ours: 500, broker: 0 }],
    });
  });
});

describe('strategy leases', () => {
  let db: TestDatabase;
  const harnesses: Harness[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((x) => x.stop().catch(() => undefined)));
    await db.close();
  });

  it('gives each strategy to exactly one of two instances on one database', async () => {
    const a = await startHarness({ url: db.url, taskId: 'task-a', flag: 'true' });
    harnesses.push(a);
    const b = await startHarness({ url: db.url, taskId: 'task-b', parameterFile: a.parameterFile });
    harnesses.push(b);
    await Promise.all([a.internals.leases.tick(), b.internals.leases.tick()]);

    const heldByA = a.internals.leases.heldStrategies();
    const heldByB = b.internals.leases.heldStrategies();

    expect([...heldByA, ...heldByB].sort()).toEqual(['ma-cross', 'manual', 'orb-15']);
    expect(heldByA.filter((s) => heldByB.includes(s))).toEqual([]);
    b.quoteAll();
    const fromB = await b.service.submitOrder(infyEntry());
    expect(fromB).toMatchObject({ outcome: 'REJECTED', reason: 'NOT_LEASE_HOLDER' });
  });

  it('refuses an order whose fence token is no longer current, even if the task still believes it holds the lease', async () => {
    const a = await startHarness({
      url: db.url,
      taskId: 'task-a',
      flag: 'true',
      leaseTtlMs: 60_000,
    });
    harnesses.push(a);
    a.quoteAll();
    // Another task takes the lease over behind a's back (a's lease "expired" during a pause).
    await db.pool.query(
      "UPDATE strategy_leases SET holder = 'task-b', fence_token = fence_token + 1 WHERE strategy_id = 'manual'",
    );

    const result = await a.service.submitOrder(infyEntry());

    expect(result).toMatchObject({ outcome: 'REJECTED', reason: 'LEASE_LOST' });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(0);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM paper.orders')).rows[0].n).toBe(0);
  });

  it('moves the strategies to the survivor when a holder stops', async () => {
    const a = await startHarness({ url: db.url, taskId: 'task-a', flag: 'true', leaseTtlMs: 1000 });
    harnesses.push(a);
    const b = await startHarness({
      url: db.url,
      taskId: 'task-b',
      parameterFile: a.parameterFile,
      leaseTtlMs: 1000,
    });
    harnesses.push(b);
    expect(a.internals.leases.heldStrategies()).toHaveLength(3);

    await a.stop();

    await eventually(
      () => b.internals.leases.heldStrategies().length === 3,
      5000,
      'take-over by task-b',
    );
  });
});
