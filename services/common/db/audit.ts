import type { Queryable } from './queryable';

export const AUDIT_SOURCES = [
  'cli',
  'lambda',
  'dashboard',
  'service',
  'alarm',
  'scheduler',
] as const;
export type AuditSource = (typeof AUDIT_SOURCES)[number];
export type AuditOutcome = 'OK' | 'FAILED' | 'PARTIAL' | 'REFUSED';

/** One control action: who, from where, what, why, what it changed and how it went. */
export interface AuditEntry {
  readonly actor: string;
  readonly source: AuditSource;
  readonly action: string;
  readonly reason: string;
  readonly stage: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly outcome: AuditOutcome;
  readonly result?: unknown;
}

export interface AuditRecord {
  readonly id: number;
  readonly occurredAt: Date;
  readonly hash: string;
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/**
 * Appends one row. The database assigns the id, time and hashes under a lock (see the chain
 * trigger), so every writer, in any process, extends the same chain.
 */
export async function appendAudit(db: Queryable, entry: AuditEntry): Promise<AuditRecord> {
  const { rows } = await db.query<{ id: string; occurred_at: Date; hash: string }>(
    `INSERT INTO control_audit
       (actor, source, action, reason, stage, before_state, after_state, outcome, result, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', '')
     RETURNING id, occurred_at, hash`,
    [
      entry.actor,
      entry.source,
      entry.action,
      entry.reason,
      entry.stage,
      json(entry.before),
      json(entry.after),
      entry.outcome,
      json(entry.result),
    ],
  );
  const row = rows[0];
  if (!row) throw new Error('control_audit insert returned no row');
  return { id: Number(row.id), occurredAt: row.occurred_at, hash: row.hash };
}

export type AuditVerification =
  | { readonly ok: true; readonly rows: number; readonly headHash: string | null }
  | {
      readonly ok: false;
      readonly rows: number;
      readonly headHash: string | null;
      /** The first row whose link or content does not match. */
      readonly firstBroken: { readonly id: number; readonly problem: string };
    };

/**
 * Walks the chain in id order: each row must point at its predecessor's hash, and its own hash
 * must match its content. Names the first row where either fails.
 */
export async function verifyAuditChain(db: Queryable): Promise<AuditVerification> {
  const { rows } = await db.query<{
    rows: string;
    head_hash: string | null;
    broken_id: string | null;
    bad_link: boolean | null;
    bad_hash: boolean | null;
  }>(
    `WITH chain AS (
       SELECT id, hash,
              prev_hash IS DISTINCT FROM coalesce(lag(hash) OVER (ORDER BY id), repeat('0', 64)) AS bad_link,
              hash IS DISTINCT FROM control_audit_hash(prev_hash, id, occurred_at, actor, source, action,
                reason, stage, before_state, after_state, outcome, result) AS bad_hash
         FROM control_audit),
     first_broken AS (
       SELECT id, bad_link, bad_hash FROM chain WHERE bad_link OR bad_hash ORDER BY id LIMIT 1)
     SELECT (SELECT count(*) FROM chain) AS rows,
            (SELECT hash FROM chain ORDER BY id DESC LIMIT 1) AS head_hash,
            fb.id AS broken_id, fb.bad_link, fb.bad_hash
       FROM (SELECT 1) one LEFT JOIN first_broken fb ON true`,
  );
  const row = rows[0];
  if (!row) throw new Error('audit verification returned no row');
  const count = Number(row.rows);
  if (row.broken_id === null) return { ok: true, rows: count, headHash: row.head_hash };
  const problem = row.bad_hash
    ? 'its content does not match its hash (edited)'
    : 'it does not point at the previous row (a row before it was removed or altered)';
  return {
    ok: false,
    rows: count,
    headHash: row.head_hash,
    firstBroken: { id: Number(row.broken_id), problem },
  };
}
