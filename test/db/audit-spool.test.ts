import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AuditEntry, verifyAuditChain } from '../../services/common/db/audit';
import {
  auditOrDefer,
  FileAuditSpool,
  flushAuditSpool,
} from '../../services/common/db/audit-spool';
import type { Queryable } from '../../services/common/db/queryable';
import { createTestDatabase, type TestDatabase } from '../support/database';

const entry = (action: string): AuditEntry => ({
  actor: 'oncall@desk',
  source: 'cli',
  action,
  reason: 'database outage drill',
  stage: 'local',
  before: { flag: 'true' },
  after: { flag: 'false' },
  outcome: 'OK',
  result: { steps: 3 },
});

const down: Queryable = {
  query: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:54320')),
};

describe('audit spool', () => {
  let db: TestDatabase;
  let dir: string;
  let spool: FileAuditSpool;

  beforeEach(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'audit-spool-'));
    spool = new FileAuditSpool(path.join(dir, 'audit-spool.jsonl'));
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('defers a row durably when the database refuses, with the database error as the cause', async () => {
    const write = await auditOrDefer(down, spool, entry('kill'));

    expect(write).toMatchObject({
      written: false,
      deferredBecause: expect.stringMatching(/ECONNREFUSED/),
    });
    const spooled = await spool.list();
    expect(spooled).toHaveLength(1);
    expect(spooled[0]?.entry.action).toBe('kill');
  });

  it('writes deferred rows first, in the order they happened, when the database returns', async () => {
    await auditOrDefer(down, spool, entry('kill'));
    await auditOrDefer(undefined, spool, entry('halt'));

    const write = await auditOrDefer(db.pool, spool, entry('resume'));

    expect(write.written).toBe(true);
    const { rows } = await db.pool.query<{ action: string; result: Record<string, unknown> }>(
      'SELECT action, result FROM control_audit ORDER BY id',
    );
    expect(rows.map((r) => r.action)).toEqual(['kill', 'halt', 'resume']);
    expect(rows[0]?.result.deferred).toMatchObject({
      because: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(await spool.list()).toEqual([]);
    expect(await verifyAuditChain(db.pool)).toMatchObject({ ok: true, rows: 3 });
  });

  it('writes a spooled row once when two flushers race', async () => {
    await auditOrDefer(down, spool, entry('kill'));
    const twin = new FileAuditSpool(spool.file);

    await Promise.all([flushAuditSpool(db.pool, spool), flushAuditSpool(db.pool, twin)]);

    const { rows } = await db.pool.query('SELECT id FROM control_audit');
    expect(rows).toHaveLength(1);
  });

  it('writes a row once when the direct write timed out after it committed', async () => {
    // The insert commits, then the caller's timeout fires: the row is spooled as well.
    const lateAnswer: Queryable = {
      query: async (text: string, values?: unknown[]) => {
        const result = await db.pool.query(text, values);
        if (text.includes('INSERT INTO control_audit'))
          throw new Error('the database did not answer within 3000 ms');
        return result;
      },
    } as Queryable;
    const write = await auditOrDefer(lateAnswer, spool, entry('kill'));
    expect(write.written).toBe(false);

    await flushAuditSpool(db.pool, spool);

    const { rows } = await db.pool.query('SELECT action FROM control_audit');
    expect(rows).toEqual([{ action: 'kill' }]);
    expect(await spool.list()).toEqual([]);
  });

  it('keeps every complete row when a crash cut the last line short', async () => {
    await auditOrDefer(down, spool, entry('kill'));
    await writeFile(spool.file, `${await readFile(spool.file, 'utf8')}{"key":"2026-`);

    expect((await spool.list()).map((i) => i.entry.action)).toEqual(['kill']);
  });
});
