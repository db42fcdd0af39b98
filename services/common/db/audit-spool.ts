import { randomUUID } from 'node:crypto';
import { messageOf } from '../errors';
import { JsonLinesFile } from '../json-lines-file';
import { type AuditEntry, appendAudit } from './audit';
import type { Queryable } from './queryable';

/** An audit row that could not be written when its action happened, waiting for the database. */
export interface SpooledAudit {
  /** Unique, and sorts in the order the actions happened. */
  readonly key: string;
  /** When the action happened (the row's own time is when it reaches the database). */
  readonly spooledAt: string;
  /** Why it was deferred: the database's own words. */
  readonly deferredBecause: string;
  readonly entry: AuditEntry;
}

/**
 * A durable queue of audit rows for actions taken while PostgreSQL is unreachable: a file on the
 * service's disk, objects in S3 for a Lambda. `append` returns only once the row is durable.
 */
export interface AuditSpool {
  readonly kind: string;
  append(item: SpooledAudit): Promise<void>;
  /** Every spooled row, oldest first. */
  list(): Promise<SpooledAudit[]>;
  /** Forgets rows that reached the database. */
  remove(keys: readonly string[]): Promise<void>;
}

const UNIQUE_VIOLATION = '23505';

/** A key that sorts by time, then by arrival within one process. */
let sequence = 0;
export function spoolKey(at: Date): string {
  sequence = (sequence + 1) % 1_000_000;
  return `${at.toISOString()}-${String(sequence).padStart(6, '0')}-${randomUUID().slice(0, 8)}`;
}

export type AuditWrite =
  | { readonly written: true; readonly id: number; readonly hash: string }
  | { readonly written: false; readonly deferredBecause: string; readonly key: string };

/**
 * Writes the row now, or spools it durably when the database cannot take it. Rows already
 * spooled go first, so the chain keeps the order in which things happened. Throws only when
 * neither the database nor the spool can hold it: then the caller must not act.
 */
export async function auditOrDefer(
  db: Queryable | undefined,
  spool: AuditSpool,
  entry: AuditEntry,
  now: () => Date = () => new Date(),
): Promise<AuditWrite> {
  const at = now();
  // The key goes into the direct write too: a write that timed out here but committed later
  // meets its spooled copy on the unique spool key, and the copy is dropped.
  const key = spoolKey(at);
  let because = 'no database access from here';
  if (db) {
    try {
      const { remaining } = await flushAuditSpool(db, spool);
      if (remaining === 0) {
        const row = await appendAudit(db, { ...entry, result: keyed(entry.result, key) });
        return { written: true, id: row.id, hash: row.hash };
      }
      because = `${remaining} earlier audit row(s) still spooled`;
    } catch (error) {
      because = messageOf(error);
    }
  }
  await spool.append({ key, spooledAt: at.toISOString(), deferredBecause: because, entry });
  return { written: false, deferredBecause: because, key };
}

/** The row's result with its spool key (and, for a deferred row, when and why it was late). */
function keyed(result: unknown, key: string, deferred?: object): Record<string, unknown> {
  const base =
    result !== null && typeof result === 'object' && !Array.isArray(result)
      ? (result as Record<string, unknown>)
      : { value: result ?? null };
  return { ...base, spoolKey: key, ...(deferred ? { deferred } : {}) };
}

/**
 * Writes the spooled rows to `control_audit`, oldest first, each with when it really happened and
 * why it was late; stops at the first failure so that order is kept. Safe to run from many
 * places at once: a row is removed from the spool only after its insert committed, and the unique
 * spool key in `control_audit` keeps two flushers from writing the same row twice.
 */
export async function flushAuditSpool(
  db: Queryable,
  spool: AuditSpool,
): Promise<{ written: number; remaining: number }> {
  const items = await spool.list();
  if (items.length === 0) return { written: 0, remaining: 0 };
  let written = 0;
  for (const item of items) {
    try {
      await appendAudit(db, {
        ...item.entry,
        result: keyed(item.entry.result, item.key, {
          occurredAt: item.spooledAt,
          because: item.deferredBecause,
        }),
      });
    } catch (error) {
      // Written already: by another flusher, or by the direct write that timed out but committed.
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    }
    await spool.remove([item.key]);
    written += 1;
  }
  return { written, remaining: items.length - written };
}

/** The spool as a JSON-lines file on local disk (see `JsonLinesFile`). */
export class FileAuditSpool implements AuditSpool {
  readonly kind = 'file';
  private readonly lines: JsonLinesFile<SpooledAudit>;

  constructor(readonly file: string) {
    this.lines = new JsonLinesFile(file);
  }

  append(item: SpooledAudit): Promise<void> {
    return this.lines.append(item);
  }

  async list(): Promise<SpooledAudit[]> {
    return (await this.lines.read()).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async remove(keys: readonly string[]): Promise<void> {
    const gone = new Set(keys);
    await this.lines.rewrite((items) => items.filter((i) => !gone.has(i.key)));
  }
}
