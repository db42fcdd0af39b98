import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { seedTrades } from '../../scripts/local/seed-trades';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import { CsvDigest, digestCsv } from '../../services/ops/export/csv-digest';
import { EXPORT_COLUMNS, exportKeys, verifyExport } from '../../services/ops/export/export-files';
import { streamExport, tradeExport } from '../../services/ops/procedures/trade-export';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { type TestContext, TestFleet, testOpsContext } from './support';

const DAY = '2026-11-23';

/** RFC 4180, as a reader of the export would parse it. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

describe('CsvDigest', () => {
  const digestOf = async (chunks: string[]) =>
    digestCsv(Readable.from(chunks.map((c) => Buffer.from(c))));

  it('counts records, not lines: newlines inside quoted fields belong to the field', async () => {
    const csv = 'a,b\n1,"x\ny"\n2,"say ""hi"", twice"\n3,"split\n';
    // The same bytes, cut at awkward places (inside quotes, between the two quotes of "").
    const chunked = await digestOf([
      'a,b\n1,"x',
      '\ny"\n2,"say "',
      '"hi"", twice"\n3,"spl',
      'it\n',
    ]);
    const whole = await digestOf([csv]);

    // The header and rows 1 and 2; row 3's quoted field never closes, so its newline is data.
    expect(whole.records).toBe(3);
    expect(chunked).toEqual(whole);
  });

  it('counts a last record without a trailing newline, and nothing for an empty stream', async () => {
    expect((await digestOf(['h\n1\n2'])).records).toBe(3);
    expect((await digestOf([])).records).toBe(0);
    expect((await digestOf([])).sha256).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('passes the bytes through unchanged', async () => {
    const digest = new CsvDigest();
    const out: Buffer[] = [];
    digest.on('data', (c: Buffer) => out.push(c));
    digest.end(Buffer.from('x,"y\n"\n'));
    await new Promise((r) => digest.on('end', r));
    expect(Buffer.concat(out).toString()).toBe('x,"y\n"\n');
  });
});

describe('trade export against PostgreSQL', () => {
  let db: TestDatabase;
  let ctx: TestContext;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedTrades(db.pool, { day: DAY, count: 100_000 });
    // Another day's trades must not leak into this day's file.
    await seedTrades(db.pool, { day: '2026-11-20', count: 10, startAt: 500_000 });
  }, 60_000);
  afterAll(() => db.close());

  beforeEach(() => {
    ctx = testOpsContext({
      db: db.pool,
      parameters: new LocalParameterStore(path.join(__dirname, 'never-written.json')),
      fleet: new TestFleet([]),
    });
  });

  it('exports 100k trades with a manifest whose row count and sha256 match, and reads them back', async () => {
    const report = await tradeExport(ctx, { date: DAY, triggeredBy: 'test' });

    expect(report).toMatchObject({ procedure: 'trade-export', tradingDay: DAY, status: 'PASS' });
    expect(report.results.map((r) => [r.name, r.status])).toEqual([
      ['export', 'PASS'],
      ['manifest', 'PASS'],
      ['verify', 'PASS'],
    ]);
    const keys = exportKeys(DAY);
    const manifest = JSON.parse(readFileSync(path.join(ctx.objectDir, keys.manifest), 'utf8'));
    const csv = readFileSync(path.join(ctx.objectDir, keys.data));
    expect(manifest).toMatchObject({
      tradingDay: DAY,
      rows: 100_000,
      bytes: csv.length,
      columns: [...EXPORT_COLUMNS],
    });
    expect(manifest.sha256).toBe((await digestCsv(Readable.from([csv]))).sha256);

    const rows = parseCsv(csv.toString('utf8'));
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows).toHaveLength(100_001);
    expect(new Set(rows.slice(1).map((r) => r[1]))).toEqual(new Set([DAY]));
    // Trade order, and times in UTC and IST.
    expect(rows[1]?.slice(0, 4)).toEqual([
      '1',
      DAY,
      '2026-11-23T03:45:00.001000Z',
      '2026-11-23 09:15:00',
    ]);
    expect(report.results[2]?.detail).toMatch(/^read back and matched: 100000 trades/);
    // The day's report is stored where the checklists' are.
    expect(existsSync(path.join(ctx.objectDir, 'reports/trade-export', `${DAY}.json`))).toBe(true);
  });

  it('escapes commas, quotes and newlines so that a CSV reader gets the value back', async () => {
    await tradeExport(ctx, { date: DAY, triggeredBy: 'test' });

    const rows = parseCsv(readFileSync(path.join(ctx.objectDir, exportKeys(DAY).data), 'utf8'));
    const clientOrderId = EXPORT_COLUMNS.indexOf('client_order_id');
    const awkward = rows.filter((r) => r[clientOrderId]?.startsWith('odd'));
    expect(awkward).toHaveLength(100);
    expect(awkward[0]?.[clientOrderId]).toBe('odd,"id"1000\nline two');
    expect(rows.every((r) => r.length === EXPORT_COLUMNS.length)).toBe(true);
  });

  it('leaves no object, partial file or manifest when the export is cut off halfway', async () => {
    const day = '2026-11-26';
    await seedTrades(db.pool, { day, count: 200_000, startAt: 1_000_000 });
    // Kill the COPY's backend once the first megabytes are through.
    const kills: Promise<unknown>[] = [];
    const killer = setInterval(() => {
      kills.push(
        db.pool.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'COPY (%' AND datname = current_database() AND pid <> pg_backend_pid()",
        ),
      );
    }, 30);
    let report: Awaited<ReturnType<typeof tradeExport>>;
    try {
      report = await tradeExport(ctx, { date: day, triggeredBy: 'test' });
    } finally {
      clearInterval(killer);
      // Kills still queued for a pool connection would cut off the next test's COPY.
      await Promise.allSettled(kills);
    }

    expect(report.status).toBe('FAIL');
    expect(report.results.map((r) => [r.name, r.status])).toEqual([
      ['export', 'FAIL'],
      ['manifest', 'SKIPPED'],
      ['verify', 'SKIPPED'],
    ]);
    expect(report.results[0]?.detail).toMatch(/terminat/i);
    const dir = path.join(ctx.objectDir, 'exports/trades', day);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    // The pool is still usable: the broken connection was discarded.
    expect((await db.pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  }, 60_000);

  it('stops streaming when the step times out, and leaves nothing behind', async () => {
    const abort = new AbortController();
    abort.abort(new Error('check export timed out after 1 ms'));

    await expect(
      streamExport(db.pool, ctx.objects, DAY, 'exports/trades/aborted/trades.csv', abort.signal),
    ).rejects.toThrow(/timed out/);
    expect(existsSync(path.join(ctx.objectDir, 'exports/trades/aborted'))).toBe(false);
  });

  it('finds a tampered export: the evening checklist and the export share this verification', async () => {
    expect((await tradeExport(ctx, { date: DAY, triggeredBy: 'test' })).status).toBe('PASS');
    const key = exportKeys(DAY).data;
    const original = readFileSync(path.join(ctx.objectDir, key));
    await ctx.objects.put(
      key,
      Buffer.concat([original.subarray(0, original.length - 20), Buffer.from('tampered,row\n')]),
      'text/csv',
    );

    const check = await verifyExport(ctx.objects, DAY);

    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/sha256 differs/);
    expect(await verifyExport(ctx.objects, '2026-01-01')).toEqual({
      ok: false,
      detail: 'no manifest at exports/trades/2026-01-01/manifest.json',
    });
  });

  it('records an empty day as a valid export of zero trades', async () => {
    const report = await tradeExport(ctx, { date: '2026-11-25', triggeredBy: 'test' });

    expect(report.status).toBe('PASS');
    expect(report.results[0]?.detail).toMatch(/^0 trades/);
  });

  it('skips an exchange holiday unless forced', async () => {
    const holiday = await tradeExport(ctx, { date: '2026-11-24', triggeredBy: 'scheduler' });

    expect(holiday).toMatchObject({ status: 'SKIPPED', results: [] });
    expect(holiday.summary).toMatch(/NSE holiday/);
  });
});
