import { type AuditEntry, appendAudit, verifyAuditChain } from '../../services/common/db/audit';
import { createTestDatabase, type TestDatabase } from '../support/database';

const entry = (action: string): AuditEntry => ({
  actor: 'alice@desk',
  source: 'cli',
  action,
  reason: 'drill',
  stage: 'local',
  before: { flag: 'true' },
  after: { flag: 'false' },
  outcome: 'OK',
  result: { steps: [{ name: 'flag', status: 'ok' }] },
});

describe('control_audit', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(() => db.close());

  it('rejects UPDATE', async () => {
    await appendAudit(db.pool, entry('halt'));

    await expect(
      db.pool.query(`UPDATE control_audit SET reason = 'nothing happened'`),
    ).rejects.toThrow(/append-only: UPDATE/);
  });

  it('rejects DELETE', async () => {
    await appendAudit(db.pool, entry('halt'));

    await expect(db.pool.query('DELETE FROM control_audit')).rejects.toThrow(/append-only: DELETE/);
  });

  it('rejects TRUNCATE', async () => {
    await appendAudit(db.pool, entry('halt'));

    await expect(db.pool.query('TRUNCATE control_audit')).rejects.toThrow(/append-only: TRUNCATE/);
  });

  it('chains every row to the previous one', async () => {
    const first = await appendAudit(db.pool, entry('halt'));
    await appendAudit(db.pool, entry('resume'));

    const { rows } = await db.pool.query(
      'SELECT id, prev_hash, hash FROM control_audit ORDER BY id',
    );

    expect(rows[0].prev_hash).toBe('0'.repeat(64));
    expect(rows[1].prev_hash).toBe(first.hash);
    expect(await verifyAuditChain(db.pool)).toEqual({ ok: true, rows: 2, headHash: rows[1].hash });
  });

  it('keeps one chain when writers run concurrently', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => appendAudit(db.pool, entry(`action-${i}`))),
    );

    const verification = await verifyAuditChain(db.pool);

    expect(verification).toMatchObject({ ok: true, rows: 40 });
  });

  it('names the first row whose content was edited', async () => {
    await appendAudit(db.pool, entry('halt'));
    const tampered = await appendAudit(db.pool, entry('flatten'));
    await appendAudit(db.pool, entry('resume'));
    // Only the table owner can get past the trigger; this is what verification exists to catch.
    await db.pool.query('ALTER TABLE control_audit DISABLE TRIGGER control_audit_no_update');
    await db.pool.query(`UPDATE control_audit SET reason = 'nothing to see' WHERE id = $1`, [
      tampered.id,
    ]);

    const verification = await verifyAuditChain(db.pool);

    expect(verification).toMatchObject({
      ok: false,
      firstBroken: { id: tampered.id, problem: expect.stringMatching(/edited/) },
    });
  });

  it('names the row after a removed one', async () => {
    await appendAudit(db.pool, entry('halt'));
    const removed = await appendAudit(db.pool, entry('flatten'));
    const next = await appendAudit(db.pool, entry('resume'));
    await db.pool.query('ALTER TABLE control_audit DISABLE TRIGGER control_audit_no_update');
    await db.pool.query('DELETE FROM control_audit WHERE id = $1', [removed.id]);

    const verification = await verifyAuditChain(db.pool);

    expect(verification).toMatchObject({
      ok: false,
      firstBroken: { id: next.id, problem: expect.stringMatching(/previous row/) },
    });
  });

  it('verifies an empty log', async () => {
    expect(await verifyAuditChain(db.pool)).toEqual({ ok: true, rows: 0, headHash: null });
  });
});
