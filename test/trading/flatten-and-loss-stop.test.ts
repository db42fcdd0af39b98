import { verifyAuditChain } from '../../services/common/db/audit';
import {
  auditActions,
  databasePerTest,
  eventually,
  type Harness,
  startHarness,
  TestClock,
} from './harness';
import { infyEntry } from './order-requests';

// Flattening (on request, by a flatten request in the parameter store, on the daily loss stop)
// and the guarantees around it: never an exit twice, the loss stop kept across a restart.
describe('TradingService against PostgreSQL', () => {
  let h: Harness;
  const db = databasePerTest(() => h);

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
