import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedTrades } from '../../scripts/local/seed-trades';
import { printVerification } from '../../scripts/tradeops/records-commands';
import { appendAudit } from '../../services/common/db/audit';
import { MarketCalendar } from '../../services/common/market-calendar';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import { istTimeOn } from '../../services/common/time';
import { LocalObjectStore } from '../../services/ops/platform/local/local-platform';
import { recordsProcedure } from '../../services/ops/procedures/records';
import {
  manifestKey,
  RECORD_KINDS,
  type RecordKind,
  type RecordsManifest,
  recordKey,
  sha256Of,
} from '../../services/ops/records/record-files';
import { verifyStageRecords } from '../../services/ops/records/stage-records';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { type TestContext, TestFleet, testOpsContext } from './support';

// Trading days after the test machine's clock: rows the database stamps now fall in the first
// day's window (it starts at the beginning), and the procedure's clock is the test's.
const [DAY1, DAY2, DAY3] = ['2026-12-01', '2026-12-02', '2026-12-03'];
const BEFORE = '2026-11-30';
const at = (day: string, hhmm: string) => new Date(istTimeOn(day, hhmm)).toISOString();

describe('records against PostgreSQL and the local object store', () => {
  let db: TestDatabase;
  let ctx: TestContext;
  let clock = 0;
  const run = (day: string, time = '16:11') => {
    clock = istTimeOn(day, time);
    return recordsProcedure(ctx, { date: day, triggeredBy: 'test' });
  };
  const manifestOf = (day: string, dir = ctx.objectDir): RecordsManifest =>
    JSON.parse(readFileSync(path.join(dir, manifestKey(day)), 'utf8'));
  const verify = (dir: string, range: { from?: string; to?: string } = {}) =>
    verifyStageRecords(new LocalObjectStore(dir), {
      from: DAY1,
      to: DAY3,
      ...range,
      now: istTimeOn(DAY3, '18:00'),
      recordsTime: '16:10',
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    const q = (sql: string, params: unknown[] = []) => db.pool.query(sql, params);
    // Day 1: filled orders with their fills, one order rejected with a reason, a risk event,
    // an audit row and a checklist report.
    await seedTrades(db.pool, { day: DAY1, count: 30 });
    await q(
      `INSERT INTO orders (id, client_order_id, strategy_id, symbol, side, order_type, quantity, status, trading_day)
       VALUES ('00000000-0000-4000-8000-000000000001', 'rej-1', 'orb-15', 'INFY', 'BUY', 'MARKET', 10, 'NEW', $1)`,
      [DAY1],
    );
    await q(
      `UPDATE orders SET status = 'ACK', broker_order_id = 'B-REJ-1' WHERE client_order_id = 'rej-1'`,
    );
    await q(
      `UPDATE orders SET status = 'REJECTED', status_reason = 'RMS: margin exceeds, "short" by 1,200' WHERE client_order_id = 'rej-1'`,
    );
    await q(
      `INSERT INTO risk_events (kind, rule, strategy_id, symbol, detail) VALUES ('REJECT', 'max-order-notional', 'orb-15', 'TCS', '{"notional": 250000}')`,
    );
    await appendAudit(db.pool, {
      actor: 'alice',
      source: 'cli',
      action: 'halt',
      reason: 'records test',
      stage: 'local',
      outcome: 'OK',
    });
    await q(
      `INSERT INTO checklist_runs (id, procedure, trading_day, started_at, finished_at, status, triggered_by, summary)
       VALUES ('00000000-0000-4000-8000-0000000000aa', 'evening-checklist', $1, now(), now(), 'PASS', 'test', 'ok')`,
      [DAY1],
    );
    await q(
      `INSERT INTO checklist_results (run_id, position, name, severity, status, detail, duration_ms)
       VALUES ('00000000-0000-4000-8000-0000000000aa', 0, 'positions-flat', 'HIGH', 'PASS', 'flat', 3)`,
    );
    // Day 2: its own orders (their events stamped in day 2) and a risk event in its window.
    await seedTrades(db.pool, { day: DAY2, count: 10, startAt: 1000 });
    await q(
      `UPDATE order_events SET occurred_at = $1 WHERE order_id IN (SELECT id FROM orders WHERE trading_day = $2)`,
      [at(DAY2, '10:00'), DAY2],
    );
    await q(`INSERT INTO risk_events (occurred_at, kind, rule) VALUES ($1, 'BREACH', 'heat-cap')`, [
      at(DAY2, '11:00'),
    ]);
    // The three days written once, in order; the tests below read and re-run them.
    ctx = {
      ...testOpsContext({
        db: db.pool,
        parameters: new LocalParameterStore(path.join(__dirname, 'never-written.json')),
        fleet: new TestFleet([]),
      }),
      now: () => clock,
    };
    expect([DAY1, DAY2, DAY3].every((d) => new MarketCalendar().isTradingDay(d))).toBe(true);
    for (const day of [DAY1, DAY2, DAY3]) {
      const report = await run(day);
      expect(report.results.map((r) => [r.name, r.status, r.detail])).toEqual([
        ['write', 'PASS', expect.stringMatching(/^written: /)],
        ['verify', 'PASS', expect.stringMatching(/^read back: OK/)],
      ]);
    }
  }, 120_000);
  afterAll(() => db.close());

  describe('order events', () => {
    it('keeps every state change of an order as a row, with the reject reason', async () => {
      const { rows } = await db.pool.query(
        `SELECT e.previous_status, e.status, e.status_reason FROM order_events e JOIN orders o ON o.id = e.order_id
          WHERE o.client_order_id = 'rej-1' ORDER BY e.id`,
      );

      expect(rows).toEqual([
        { previous_status: null, status: 'NEW', status_reason: null },
        { previous_status: 'NEW', status: 'ACK', status_reason: null },
        {
          previous_status: 'ACK',
          status: 'REJECTED',
          status_reason: 'RMS: margin exceeds, "short" by 1,200',
        },
      ]);
    });
  });

  describe('recordsProcedure', () => {
    it('writes every kind under records/<kind>/<date>/ with the rows of its window', () => {
      const m = manifestOf(DAY1);
      const rows = Object.fromEntries(m.objects.map((o) => [o.kind, o.rows]));

      expect(m.objects.map((o) => o.kind)).toEqual([...RECORD_KINDS]);
      // 30 seeded orders (one event each) and the rejected one's three.
      expect(rows).toEqual({
        'order-events': 33,
        fills: 30,
        'risk-events': 1,
        'control-audit': 1,
        'checklist-reports': 1,
      });
      for (const o of m.objects) {
        const bytes = readFileSync(path.join(ctx.objectDir, recordKey(o.kind, DAY1)));
        expect([o.key, o.bytes, o.sha256]).toEqual([
          recordKey(o.kind, DAY1),
          bytes.length,
          sha256Of(bytes),
        ]);
      }
      const events = readFileSync(
        path.join(ctx.objectDir, recordKey('order-events', DAY1)),
        'utf8',
      );
      expect(events).toContain('REJECTED,"RMS: margin exceeds, ""short"" by 1,200"');
      expect(m.window).toEqual({ from: null, to: at(DAY1, '16:10') });
      expect(m.previous).toBeNull();
    });

    it("chains each day to the previous day's manifest, windows meeting at the cut-off", () => {
      const [m1, m2, m3] = [manifestOf(DAY1), manifestOf(DAY2), manifestOf(DAY3)];
      const bytes1 = readFileSync(path.join(ctx.objectDir, manifestKey(DAY1)));

      expect(m2.previous).toEqual({ tradingDay: DAY1, sha256: sha256Of(bytes1) });
      expect(m3.previous?.tradingDay).toBe(DAY2);
      expect(m2.window).toEqual({ from: m1.window.to, to: at(DAY2, '16:10') });
      // Each records run's own report is stored after its cut-off: the next day records it.
      expect(Object.fromEntries(m2.objects.map((o) => [o.kind, o.rows]))).toEqual({
        'order-events': 10,
        fills: 10,
        'risk-events': 1,
        'control-audit': 0,
        'checklist-reports': 1,
      });
      expect(Object.fromEntries(m3.objects.map((o) => [o.kind, o.rows]))).toEqual({
        'order-events': 0,
        fills: 0,
        'risk-events': 0,
        'control-audit': 0,
        'checklist-reports': 1,
      });
    });

    it('runs again for a day already written without writing anything', async () => {
      const before = statSync(path.join(ctx.objectDir, manifestKey(DAY2))).mtimeMs;

      const report = await run(DAY2, '18:00');

      expect(report.status).toBe('PASS');
      expect(report.results[0]?.detail).toMatch(/^unchanged: already stored for 2026-12-02/);
      expect(statSync(path.join(ctx.objectDir, manifestKey(DAY2))).mtimeMs).toBe(before);
    });

    it('refuses to overwrite a written day whose rows changed in the database, naming the kind', async () => {
      const manifest = readFileSync(path.join(ctx.objectDir, manifestKey(DAY1)));
      const { rows } = await db.pool.query<{ id: string }>(
        `INSERT INTO risk_events (occurred_at, kind, rule) VALUES ($1, 'REJECT', 'late') RETURNING id`,
        [at(DAY1, '12:00')],
      );
      try {
        const report = await run(DAY1, '18:00');

        expect(report.status).toBe('FAIL');
        expect(report.results[0]?.detail).toMatch(
          /already stored and the database now differs: risk-events \(2 rows now, 1 stored\); not overwritten/,
        );
        expect(readFileSync(path.join(ctx.objectDir, manifestKey(DAY1)))).toEqual(manifest);
      } finally {
        await db.pool.query('DELETE FROM risk_events WHERE id = $1', [rows[0]?.id]);
      }
    });

    it('refuses a day before the last one stored, and a day before its cut-off', async () => {
      const earlier = await run(BEFORE);
      const early = await run('2026-12-04', '15:00');

      expect(earlier.results[0]?.detail).toBe(
        `the records of ${DAY1} are already stored: ${BEFORE} cannot join the chain after them`,
      );
      expect(early.results[0]).toMatchObject({
        status: 'FAIL',
        detail: 'the records of 2026-12-04 are cut at 16:10 IST: not yet',
      });
    });
  });

  describe('verifyStageRecords (records verify)', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'records-'));
      cpSync(path.join(ctx.objectDir, 'records'), path.join(dir, 'records'), { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const file = (key: string) => path.join(dir, key);
    const key = (kind: RecordKind, day: string) => file(recordKey(kind, day));

    it('passes over every day written, and prints exit code 0', async () => {
      const v = await verify(dir);
      const out: string[] = [];

      expect(v).toMatchObject({ ok: true, from: DAY1, to: DAY3 });
      expect(v.days.map((d) => [d.day, d.ok])).toEqual([
        [DAY1, true],
        [DAY2, true],
        [DAY3, true],
      ]);
      expect(
        printVerification(
          { out: (l) => out.push(l), err: () => undefined, stdin: process.stdin },
          v,
          false,
        ),
      ).toBe(0);
      expect(out.at(-1)).toMatch(/^OK: 3 day\(s\) from 2026-12-01 to 2026-12-03/);
    });

    it('names the day whose object had one byte changed, and exits 1', async () => {
      const bytes = readFileSync(key('fills', DAY2));
      bytes[bytes.length - 3] = bytes[bytes.length - 3] === 0x31 ? 0x32 : 0x31;
      writeFileSync(key('fills', DAY2), bytes);

      const v = await verify(dir);
      const out: string[] = [];
      const code = printVerification(
        { out: (l) => out.push(l), err: () => undefined, stdin: process.stdin },
        v,
        false,
      );

      expect(code).toBe(1);
      expect(v.firstBroken).toEqual({
        day: DAY2,
        problem: expect.stringMatching(/^records\/fills\/2026-12-02\/fills\.csv was changed/),
      });
      expect(out.at(-1)).toMatch(/^BROKEN: first broken day 2026-12-02: /);
    });

    it('names the day whose object was removed, and the day whose object was truncated', async () => {
      rmSync(key('risk-events', DAY2));
      const bytes = readFileSync(key('order-events', DAY3));
      writeFileSync(key('order-events', DAY3), bytes.subarray(0, bytes.length - 1));

      const v = await verify(dir);

      expect(v.firstBroken).toEqual({
        day: DAY2,
        problem: 'records/risk-events/2026-12-02/risk-events.csv is missing',
      });
      expect(v.days.find((d) => d.day === DAY3)?.problems).toEqual([
        `records/order-events/2026-12-03/order-events.csv is truncated (${bytes.length - 1} of ${bytes.length} bytes)`,
      ]);
    });

    it('names the day whose manifest was edited, even when the edit keeps it consistent', async () => {
      const edited = readFileSync(file(manifestKey(DAY1)), 'utf8').replace(
        /"generatedAt": "[^"]+"/,
        '"generatedAt": "2026-12-01T10:40:00.000Z"',
      );
      writeFileSync(file(manifestKey(DAY1)), edited);

      const v = await verify(dir);

      expect(v.ok).toBe(false);
      expect(v.firstBroken?.day).toBe(DAY1);
      expect(v.firstBroken?.problem).toMatch(
        /^chain broken: the manifest of 2026-12-01 is not the one 2026-12-02 chained to .*: edited after 2026-12-02 was written$/,
      );
    });

    it("names a day whose manifest's row count was edited, and a day whose manifest is gone", async () => {
      const m = manifestOf(DAY2, dir);
      writeFileSync(
        file(manifestKey(DAY2)),
        JSON.stringify({ ...m, objects: m.objects.map((o) => ({ ...o, rows: o.rows + 1 })) }),
      );
      rmSync(file(manifestKey(DAY3)));

      const v = await verify(dir);

      expect(v.firstBroken?.day).toBe(DAY2);
      expect(v.days.find((d) => d.day === DAY3)?.problems).toEqual([
        "no manifest: the day's records are missing",
      ]);
    });

    it('checks only the range asked for, still checking the link into it', async () => {
      rmSync(key('fills', DAY1));

      const v = await verify(dir, { from: DAY2 });

      expect(v.ok).toBe(true);
      expect(v.days.map((d) => d.day)).toEqual([DAY2, DAY3]);
    });
  });
});
