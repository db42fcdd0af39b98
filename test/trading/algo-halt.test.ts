import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GENERIC_ALGO_ID } from '../../contract/algo-id';
import { flattenRequestValue } from '../../contract/flatten-request';
import { operatorNames } from '../../contract/names';
import { setAlgoHalt } from '../../services/common/db/algo-halts';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, type Harness, startHarness } from './harness';

// The sample strategies: orb-15 runs under algo ID 10001, ma-cross under 10002.
const ORB = '10001';
const MA = '10002';
const who = { requestedBy: 'alice@desk', reason: 'algo misbehaving' };

const entry = (strategyId: string, symbol: string, price: number) => ({
  clientOrderId: randomUUID(),
  strategyId,
  symbol,
  side: 'BUY' as const,
  type: 'MARKET' as const,
  quantity: 10,
  stopPrice: price - 10,
  reduceOnly: false,
});
const exit = (strategyId: string, symbol: string) => ({
  clientOrderId: randomUUID(),
  strategyId,
  symbol,
  side: 'SELL' as const,
  type: 'MARKET' as const,
  quantity: 10,
  reduceOnly: true,
});

describe('per-algo halt on the trading service', () => {
  let db: TestDatabase;
  const harnesses: Harness[] = [];
  const start = async (taskId: string, flag?: string) => {
    const h = await startHarness({ url: db.url, taskId, flag });
    harnesses.push(h);
    h.quoteAll();
    return h;
  };
  /** A service holding 10 INFY under orb-15 (algo ORB) and 10 SBIN under ma-cross (algo MA). */
  const startHoldingBothAlgos = async () => {
    const h = await start('task-a', 'true');
    await h.service.submitOrder(entry('orb-15', 'INFY', 1500));
    await h.service.submitOrder(entry('ma-cross', 'SBIN', 820));
    await eventually(
      () =>
        h.internals.portfolio.position('orb-15', 'INFY')?.quantity === 10 &&
        h.internals.portfolio.position('ma-cross', 'SBIN')?.quantity === 10,
    );
    return h;
  };

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.stop().catch(() => undefined);
    await db.close();
  });

  it("stores the algo ID on every order row (manual orders the stage's manual one) and counts orders by algo", async () => {
    const h = await start('task-a', 'true');

    const orb = await h.service.submitOrder(entry('orb-15', 'INFY', 1500));
    const manual = await h.service.submitOrder(entry('manual', 'SBIN', 820));

    expect(orb).toMatchObject({ outcome: 'ACCEPTED', order: { algoId: ORB } });
    expect(manual).toMatchObject({ outcome: 'ACCEPTED', order: { algoId: GENERIC_ALGO_ID } });
    const { rows } = await db.pool.query(
      'SELECT strategy_id, algo_id FROM orders ORDER BY strategy_id',
    );
    expect(rows).toEqual([
      { strategy_id: 'manual', algo_id: GENERIC_ALGO_ID },
      { strategy_id: 'orb-15', algo_id: ORB },
    ]);
    const listed = await h.service.orders({ limit: 10 });
    expect(listed.find((o) => o.strategyId === 'orb-15')?.algoId).toBe(ORB);
    expect(h.service.metrics.get('algo_orders_submitted_total', { algo: ORB })).toBe(1);
    expect(h.service.metrics.get('algo_orders_submitted_total', { algo: GENERIC_ALGO_ID })).toBe(1);
    expect(h.service.metrics.prometheus()).toContain(
      `algo_orders_submitted_total{algo="${ORB}"} 1\n`,
    );
  });

  it("refuses a halted algo's entries with the reason, keeps its exits and the other algo trading", async () => {
    const h = await start('task-a', 'true');
    await h.service.submitOrder(entry('orb-15', 'INFY', 1500));
    await eventually(() => h.internals.portfolio.position('orb-15', 'INFY')?.quantity === 10);

    const halted = await h.service.haltAlgo(who, ORB);

    expect(halted).toMatchObject({
      algoId: ORB,
      halted: true,
      strategies: ['orb-15'],
      stored: true,
    });
    const refused = await h.service.submitOrder(entry('orb-15', 'INFY', 1500));
    expect(refused).toMatchObject({
      outcome: 'REJECTED',
      reason: 'ALGO_HALTED',
      message: `algo ${ORB} (orb-15) is halted by alice@desk: algo misbehaving: only exits are allowed`,
    });
    expect(await h.service.submitOrder(exit('orb-15', 'INFY'))).toMatchObject({
      outcome: 'ACCEPTED',
    });
    expect(await h.service.submitOrder(entry('ma-cross', 'SBIN', 820))).toMatchObject({
      outcome: 'ACCEPTED',
      order: { algoId: MA },
    });
    expect(h.internals.states.state()).toBe('ACTIVE');
    const algos = h.service.stateView().algos;
    expect(algos).toEqual([
      {
        algoId: ORB,
        strategyId: 'orb-15',
        halted: { by: 'alice@desk', reason: 'algo misbehaving', at: expect.any(String) },
      },
      { algoId: MA, strategyId: 'ma-cross', halted: null },
    ]);
    const audit = await db.pool.query(
      "SELECT actor, reason, before_state, after_state, outcome FROM control_audit WHERE action = 'algo-halt'",
    );
    expect(audit.rows).toEqual([
      {
        actor: 'alice@desk',
        reason: 'algo misbehaving',
        before_state: { algoId: ORB, halted: false },
        after_state: {
          algoId: ORB,
          halted: true,
          strategies: ['orb-15'],
          stored: true,
          cancelled: [],
        },
        outcome: 'OK',
      },
    ]);
  });

  it('keeps a halted algo across a restart and shares it with every task', async () => {
    const a = await start('task-a', 'true');
    const b = await start('task-b');
    await a.service.haltAlgo(who, ORB);

    // Another task applies it from PostgreSQL within its one-second sync.
    await eventually(
      () => b.service.stateView().algos.find((x) => x.algoId === ORB)?.halted !== null,
      5000,
      'task-b to see the halt',
    );
    await a.stop();
    harnesses.splice(harnesses.indexOf(a), 1);
    const restarted = await start('task-c', 'true');

    expect(restarted.service.stateView().algos.find((x) => x.algoId === ORB)?.halted).toMatchObject(
      { by: 'alice@desk' },
    );
  });

  it('names the configured algo IDs when asked to halt an unknown one, and changes nothing', async () => {
    const h = await start('task-a', 'true');

    await expect(h.service.haltAlgo(who, '424242')).rejects.toThrow(
      `no strategy runs under algo ID "424242"; configured: ${ORB}, ${MA}`,
    );
    expect((await db.pool.query('SELECT * FROM algo_halts')).rowCount).toBe(0);
  });

  it("flattens one algo's positions only", async () => {
    const h = await startHoldingBothAlgos();

    const result = await h.service.flattenAlgo(who, MA, false);

    expect(result.legs.map((l) => [l.strategyId, l.symbol])).toEqual([['ma-cross', 'SBIN']]);
    await eventually(() => h.internals.portfolio.position('ma-cross', 'SBIN')?.quantity === 0);
    expect(h.internals.portfolio.position('orb-15', 'INFY')?.quantity).toBe(10);
  });

  it('halts and flattens one algo from a flatten request naming it (the kill that reaches no task)', async () => {
    const h = await startHoldingBothAlgos();

    await h.store.putParameter(
      h.names.flattenRequestParameter,
      flattenRequestValue({ id: 'kill-algo-1', reason: 'drill', requester: 'me', algoId: ORB }),
      'test',
    );
    await h.internals.flag.poll();

    await eventually(() => h.internals.portfolio.position('orb-15', 'INFY')?.quantity === 0);
    expect(h.internals.portfolio.position('ma-cross', 'SBIN')?.quantity).toBe(10);
    expect(h.service.stateView().algos.find((a) => a.algoId === ORB)?.halted).toMatchObject({
      by: 'me',
      reason: 'flatten request kill-algo-1: drill',
    });
    expect(h.internals.states.state()).toBe('ACTIVE');
  });

  it('ignores, on a task started later, an algo flatten request written before that algo was resumed', async () => {
    const parameterFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'flag-')), 'p.json');
    const store = new LocalParameterStore(parameterFile);
    await store.putParameter(
      operatorNames('local').flattenRequestParameter,
      flattenRequestValue({ id: 'kill-algo-2', reason: 'old', requester: 'me', algoId: ORB }),
      'test',
    );
    await new Promise((r) => setTimeout(r, 20));
    await setAlgoHalt(db.pool, ORB, true, 'me', 'kill-algo-2');
    await setAlgoHalt(db.pool, ORB, false, 'lead@desk', 'resumed');

    const h = await startHarness({ url: db.url, parameterFile, flag: 'true' });
    harnesses.push(h);

    const outcome = await eventually(() => h.service.stateView().lastFlattenRequest?.outcome);
    expect(outcome).toBe(`ignored: algo ${ORB} was resumed after this request`);
    expect(h.service.stateView().algos.find((a) => a.algoId === ORB)?.halted).toBeNull();
  });
});
