import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCHEDULED_PROCEDURE_NAMES } from '../../contract/scheduled-procedures';
import { DEFAULT_SCHEDULES } from '../../contract/stage';
import { run } from '../../scripts/tradeops/main';
import { parseCalendarCsv } from '../../services/common/calendar/calendar-csv';
import { loadMarketCalendar } from '../../services/common/calendar/calendar-store';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import { istTimeOn } from '../../services/common/time';
import { importCalendar } from '../../services/ops/procedures/calendar-import';
import { runScheduled } from '../../services/ops/procedures/scheduled';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { type TestContext, TestFleet, testOpsContext } from './support';

const who = { requestedBy: 'oncall@desk', reason: 'NSE circular for 2027' };

const GOOD_2027 = `date,type,description,open,close
26-Jan-2027,TRADING_HOLIDAY,Republic Day,,
2027-03-26,TRADING_HOLIDAY,Good Friday,,
2027-02-01,SETTLEMENT_HOLIDAY,"Budget day, no settlement",,
2027-10-29,SPECIAL_SESSION,Muhurat Trading,18:00,19:00
`;

async function countRows(db: TestDatabase) {
  const { rows } = await db.pool.query<{ years: string; days: string; audits: string }>(
    `SELECT (SELECT count(*) FROM market_calendar_years) AS years,
            (SELECT count(*) FROM market_calendar_days) AS days,
            (SELECT count(*) FROM control_audit WHERE action = 'calendar-import' AND outcome = 'OK') AS audits`,
  );
  return {
    years: Number(rows[0]?.years),
    days: Number(rows[0]?.days),
    audits: Number(rows[0]?.audits),
  };
}

describe('the market calendar against PostgreSQL', () => {
  let db: TestDatabase;
  let ctx: TestContext;

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);

  beforeEach(() => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'calendar-'));
    ctx = testOpsContext({
      db: db.pool,
      parameters: new LocalParameterStore(path.join(dir, 'parameters.json')),
      fleet: new TestFleet([]),
    });
  });

  afterAll(async () => {
    await db.close();
  });

  describe('the import file', () => {
    it.each([
      [
        'a bad date',
        'date,type,description,open,close\n2027-01-26,TRADING_HOLIDAY,Republic Day,,\n2027-02-30,TRADING_HOLIDAY,No such day,,\n',
        'line 3: date: date "2027-02-30" is not a real date as YYYY-MM-DD',
      ],
      [
        'a duplicate',
        'date,type,description,open,close\n2027-01-26,TRADING_HOLIDAY,Republic Day,,\n\n26-Jan-2027,TRADING_HOLIDAY,Republic Day again,,\n',
        'line 4: duplicate: 2027-01-26 TRADING_HOLIDAY is listed twice (first on line 2)',
      ],
      [
        'a session that closes before it opens',
        'date,type,description,open,close\n2027-10-29,SPECIAL_SESSION,Muhurat Trading,19:00,18:00\n',
        'line 2: close: the session closes at 18:00, not after its open at 19:00 (at least 10 minutes)',
      ],
      [
        'a day both closed and a special session',
        'date,type,description,open,close\n2027-10-29,TRADING_HOLIDAY,Diwali,,\n2027-10-29,SPECIAL_SESSION,Muhurat,18:00,19:00\n',
        'line 3: 2027-10-29 cannot be both a TRADING_HOLIDAY and a SPECIAL_SESSION (first on line 2)',
      ],
      [
        'a provisional flag that is not true',
        'date,type,description,open,close,provisional\n2027-10-29,SPECIAL_SESSION,Muhurat Trading,18:00,19:00,yes\n',
        'line 2: provisional: provisional is true or absent (got "yes")',
      ],
      [
        'provisional hours on a day that has none',
        'date,type,description,open,close,provisional\n2027-01-26,TRADING_HOLIDAY,Republic Day,,,true\n',
        "line 2: provisional: only a SPECIAL_SESSION's hours can be provisional, not a TRADING_HOLIDAY's (got true)",
      ],
      [
        'an unknown type',
        'date,type,description,open,close\n2027-01-26,HALF_DAY,Republic Day,,\n',
        'line 2: type: type "HALF_DAY" is not one of TRADING_HOLIDAY, SPECIAL_SESSION, SETTLEMENT_HOLIDAY',
      ],
    ])('refuses %s, naming the line, and loads nothing', async (_what, csv, error) => {
      // Act
      const parsed = parseCalendarCsv(csv);

      // Assert
      expect(parsed).toEqual({ ok: false, errors: [error] });
      expect(await countRows(db)).toMatchObject({ years: 0, days: 0 });
    });

    it('makes the CLI exit 2 naming each bad line, before anything is sent', async () => {
      // Arrange
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'csv-')), 'nse-2027.csv');
      writeFileSync(
        file,
        'date,type,description,open,close\n2027-01-26,TRADING_HOLIDAY,Republic Day,,\n2027-01-26,TRADING_HOLIDAY,Republic Day,,\n',
      );
      const err: string[] = [];
      const io = { out: () => undefined, err: (l: string) => err.push(l), stdin: process.stdin };

      // Act: prod, but a bad file never reaches AWS
      const code = await run(
        ['node', 'tradeops', 'calendar', 'import', 'prod', file, '--reason', 'NSE list', '--yes'],
        io,
      );

      // Assert
      expect(code).toBe(2);
      expect(err).toEqual([
        `${file}: line 3: duplicate: 2027-01-26 TRADING_HOLIDAY is listed twice (first on line 2)`,
        `${file}: 1 problem(s); nothing was loaded`,
      ]);
    });

    it('names every bad line of a file at once', () => {
      const parsed = parseCalendarCsv(
        'date,type,description,open,close\n2027-13-01,TRADING_HOLIDAY,x,,\n2027-01-26,TRADING_HOLIDAY,,,\n',
      );

      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.errors.map((e) => e.split(':')[0])).toEqual(['line 2', 'line 3']);
    });
  });

  it('loads a whole year, audited, and every reader sees it; a failing import changes nothing', async () => {
    // Arrange
    const parsed = parseCalendarCsv(GOOD_2027);
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));

    // Act
    const result = await importCalendar(ctx, {
      ...who,
      source: 'nse-2027.csv',
      entries: parsed.entries,
    });

    // Assert
    expect(result.outcome).toBe('OK');
    expect(await countRows(db)).toEqual({ years: 1, days: 4, audits: 1 });
    const { calendar } = await loadMarketCalendar(db.pool);
    expect(calendar.year(2027)?.origin).toBe('database');
    expect(calendar.day('2027-01-26').kind).toBe('HOLIDAY');
    expect(calendar.day('2027-10-29').session).toEqual({
      open: '18:00',
      close: '19:00',
      squareOff: '18:55',
    });
    expect(calendar.day('2026-02-01').specialSession).toMatch(/Union Budget/);

    // Act: a row the database refuses (the same rules, held by the table) rolls the whole file back
    const bad = await importCalendar(ctx, {
      ...who,
      source: 'nse-2027-b.csv',
      entries: [
        { date: '2027-01-26', type: 'TRADING_HOLIDAY', description: 'Republic Day' },
        { date: '2027-01-27', type: 'SPECIAL_SESSION', description: 'no hours' },
      ],
    });

    // Assert
    expect(bad.outcome).toBe('REFUSED');
    expect(await countRows(db)).toEqual({ years: 1, days: 4, audits: 1 });
    const refused = await db.pool.query(
      `SELECT reason FROM control_audit WHERE action = 'calendar-import' AND outcome = 'REFUSED'`,
    );
    expect(refused.rowCount).toBe(1);
  });

  it('keeps a provisional session provisional through the import, until a list confirms its hours', async () => {
    // Arrange: the holiday circular names Muhurat 2027's day; its hour is not known yet
    const provisional = parseCalendarCsv(
      'date,type,description,open,close,provisional\n2027-01-26,TRADING_HOLIDAY,Republic Day,,,\n2027-10-29,SPECIAL_SESSION,Muhurat Trading,18:00,19:00,TRUE\n',
    );
    if (!provisional.ok) throw new Error(provisional.errors.join('\n'));
    const fresh = await createTestDatabase();
    try {
      const freshCtx = { ...ctx, db: fresh.pool };

      // Act
      await importCalendar(freshCtx, {
        ...who,
        source: 'nse-2027.csv',
        entries: provisional.entries,
      });
      const before = (await loadMarketCalendar(fresh.pool)).calendar;
      const confirmed = parseCalendarCsv(GOOD_2027);
      if (!confirmed.ok) throw new Error(confirmed.errors.join('\n'));
      await importCalendar(freshCtx, {
        ...who,
        source: 'nse-2027-b.csv',
        entries: confirmed.entries,
      });
      const after = (await loadMarketCalendar(fresh.pool)).calendar;

      // Assert
      expect(provisional.entries[1]).toMatchObject({ date: '2027-10-29', provisional: true });
      expect(before.day('2027-10-29')).toMatchObject({ kind: 'TRADING_DAY', provisional: true });
      expect(before.provisionalSessions('2027-01-01').map((d) => d.date)).toEqual(['2027-10-29']);
      expect(after.day('2027-10-29').provisional).toBeUndefined();
      expect(after.provisionalSessions('2027-01-01')).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  describe('the scheduled procedures', () => {
    it('fire every day, Sunday included: the calendar, not the cron, decides the trading day', () => {
      for (const [name, schedule] of Object.entries(DEFAULT_SCHEDULES))
        expect([name, schedule.days]).toEqual([name, name === 'maintenance' ? 'SAT' : 'DAILY']);
    });

    it('run on Sunday 1 February 2026 (the Budget session) and skip an ordinary Sunday', async () => {
      const budget = await runScheduled(ctx, 'deadline-check', { date: '2026-02-01' });
      const sunday = await runScheduled(ctx, 'deadline-check', { date: '2026-02-08' });

      expect(budget.status).not.toBe('SKIPPED');
      expect(budget.results.map((r) => r.name)).toContain('morning-checklist-ran');
      expect(sunday).toMatchObject({
        status: 'SKIPPED',
        summary: '2026-02-08 is not a trading day (weekend)',
      });
    });

    it("the deadline check on Monday 2 February asks for Sunday's evening procedures", async () => {
      // Arrange: the Budget Sunday's evening runs, after its close
      for (const procedure of ['evening-checklist', 'trade-export', 'database-backup'])
        await db.pool.query(
          `INSERT INTO checklist_runs (id, procedure, trading_day, started_at, finished_at, status, triggered_by)
           VALUES (gen_random_uuid(), $1, '2026-02-01', $2, $2, 'PASS', 'scheduler')`,
          [procedure, new Date(istTimeOn('2026-02-01', '16:40'))],
        );

      // Act
      const monday = await runScheduled(ctx, 'deadline-check', { date: '2026-02-02' });

      // Assert
      const byName = Object.fromEntries(monday.results.map((r) => [r.name, r]));
      expect(byName['evening-checklist-ran']).toMatchObject({ status: 'PASS' });
      expect(byName['evening-checklist-ran']?.detail).toMatch(/^2026-02-01: PASS/);
      expect(byName['database-backup-ran']).toMatchObject({ status: 'PASS' });
    });

    it('wait for an evening session to close before covering its day', async () => {
      const early = { ...ctx, now: () => istTimeOn('2026-11-08', '16:00') };

      const report = await runScheduled(early, 'evening-checklist', { date: '2026-11-08' });

      expect(report.status).toBe('SKIPPED');
      expect(report.summary).toMatch(
        /closes at 19:00 IST: run evening-checklist for 2026-11-08 after the close/,
      );
    });

    it('skip an ordinary Sunday, every one of them; maintenance skips the Budget Sunday', async () => {
      // The gate is the calendar's, in evaluateChecklist, for every procedure alike.
      const trading = SCHEDULED_PROCEDURE_NAMES.filter((n) => n !== 'maintenance');
      for (const name of trading)
        expect([name, (await runScheduled(ctx, name, { date: '2026-02-08' })).summary]).toEqual([
          name,
          '2026-02-08 is not a trading day (weekend)',
        ]);
      expect((await runScheduled(ctx, 'maintenance', { date: '2026-02-01' })).summary).toBe(
        '2026-02-01 is a trading day: maintenance waits for a day the market is closed',
      );
    });

    it('the deadline check warns (P4) while a session to come has provisional hours', async () => {
      // Arrange: the repository's 2026 only (Muhurat on 8 November, hours not yet circulated)
      const fresh = await createTestDatabase();
      try {
        const freshCtx = { ...ctx, db: fresh.pool };
        // Everything due by 09:05 on Monday 2 November ran: the report is the warning alone.
        for (const [procedure, day, at] of [
          ['token-check', '2026-11-02', '07:30'],
          ['morning-checklist', '2026-11-02', '08:45'],
          ['evening-checklist', '2026-10-30', '16:00'],
          ['trade-export', '2026-10-30', '16:05'],
          ['database-backup', '2026-10-30', '16:30'],
        ] as const)
          await fresh.pool.query(
            `INSERT INTO checklist_runs (id, procedure, trading_day, started_at, finished_at, status, triggered_by)
             VALUES (gen_random_uuid(), $1, $2, $3, $3, 'PASS', 'scheduler')`,
            [procedure, day, new Date(istTimeOn(day, at))],
          );

        // Act: the Monday before Muhurat, and today (26 November, after it)
        const before = await runScheduled(freshCtx, 'deadline-check', { date: '2026-11-02' });
        const after = await runScheduled(freshCtx, 'deadline-check', { date: '2026-11-26' });

        // Assert
        const check = (r: typeof before) =>
          r.results.find((x) => x.name === 'provisional-sessions');
        expect(check(before)).toMatchObject({
          status: 'WARN',
          severity: 'LOW',
          detail:
            "2026-11-08 Muhurat Trading, Diwali Laxmi Pujan 18:00-19:00 IST: hours unconfirmed (provisional); import the exchange's timing circular (npx tradeops calendar import <stage> <file.csv>)",
        });
        expect(check(after)).toMatchObject({ status: 'PASS' });
        expect(before.status).toBe('WARN');
        // A WARN goes to the notify topic (P4), not the page topic.
        const published = readFileSync(ctx.notificationsFile, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { topic: string; subject: string });
        expect(published).toContainEqual(
          expect.objectContaining({
            topic: 'notify',
            subject: '[deadline-check] local 2026-11-02: WARN',
          }),
        );
      } finally {
        await fresh.close();
      }
    });

    it('from 1 December the deadline check warns (P4) while next year is missing, and not before', async () => {
      // Arrange: 2027 was imported above; a fresh database has only the repository's 2026
      const fresh = await createTestDatabase();
      try {
        const freshCtx = { ...ctx, db: fresh.pool };

        // Act
        const november = await runScheduled(freshCtx, 'deadline-check', { date: '2026-11-30' });
        const december = await runScheduled(freshCtx, 'deadline-check', { date: '2026-12-01' });
        const imported = await runScheduled(ctx, 'deadline-check', { date: '2026-12-01' });

        // Assert
        const check = (r: typeof november) =>
          r.results.find((x) => x.name === 'next-year-calendar');
        expect(check(november)?.status).toBe('PASS');
        expect(check(december)).toMatchObject({
          status: 'WARN',
          detail: expect.stringMatching(/NSE list for 2027 is missing.*tradeops calendar import/),
        });
        expect(check(imported)).toMatchObject({
          status: 'PASS',
          detail: expect.stringMatching(/from the database/),
        });
      } finally {
        await fresh.close();
      }
    });
  });
});
