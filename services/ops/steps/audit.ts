import type { QueryResultRow } from 'pg';
import { type AuditEntry, type AuditOutcome, appendAudit } from '../../common/db/audit';
import { auditOrDefer, flushAuditSpool } from '../../common/db/audit-spool';
import type { Queryable } from '../../common/db/queryable';
import type { OpsContext } from '../platform/ports';
import type { OperatorRequest } from './procedure';
import { StepFailure, type StepResult, type StepRunner } from './runner';

/** What an audit step records: the action, who asked and why, and how it went. */
export interface AuditRequest {
  readonly action: string;
  readonly request: OperatorRequest;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly outcome: AuditOutcome;
  readonly result: unknown;
}

function auditEntry(ctx: OpsContext, entry: AuditRequest): AuditEntry {
  return {
    actor: entry.request.requestedBy,
    source: ctx.source,
    action: entry.action,
    reason: entry.request.reason,
    stage: ctx.stage,
    before: entry.before,
    after: entry.after,
    outcome: entry.outcome,
    result: entry.result,
  };
}

/**
 * The database, as an audit write sees it: a query that has not answered within `ms` fails, so
 * that an action taken while PostgreSQL hangs is spooled rather than waiting on it. (A write that
 * commits after its timeout leaves the row twice: once now, once from the spool with its key.)
 */
function answeringWithin(db: Queryable, ms: number): Queryable {
  return {
    query: <R extends QueryResultRow>(text: string, values?: unknown[]) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the database did not answer within ${ms} ms`)),
          ms,
        );
      });
      return Promise.race([db.query<R>(text, values), late]).finally(() => clearTimeout(timer));
    },
  };
}

/**
 * The audit row of a procedure, as a step. With an audit spool (every context but a test's) a row
 * the database cannot take now is spooled durably and the step says "audit deferred" with the
 * database's own error; it reaches `control_audit`, in order, with the next audit write that
 * finds the database up. Without a spool and without a database the step is skipped, and says so.
 */
export async function auditStep(
  ctx: OpsContext,
  runner: StepRunner,
  entry: AuditRequest,
): Promise<StepResult> {
  const { db, auditSpool } = ctx;
  const row = auditEntry(ctx, entry);
  const timeoutMs = ctx.settings.auditTimeoutMs;
  if (auditSpool) {
    return runner.run('audit', async () => {
      const bounded = db && answeringWithin(db, timeoutMs);
      const write = await auditOrDefer(bounded, auditSpool, row).catch(async (error: unknown) => {
        // The spool itself is down (S3 in an outage): a database that answers still takes it.
        if (!bounded) throw error;
        const direct = await appendAudit(bounded, row);
        return { written: true as const, id: direct.id, hash: direct.hash };
      });
      return write.written
        ? `control_audit row ${write.id}`
        : `audit deferred (${write.deferredBecause}): spooled as ${write.key} in the ${auditSpool.kind} spool`;
    });
  }
  if (!db) {
    return runner.skip(
      'audit',
      'no database access from here; the trading service audits the flag change and the flatten request it acts on',
    );
  }
  return runner.run('audit', async () => `control_audit row ${(await appendAudit(db, row)).id}`, {
    retry: { attempts: 3 },
    timeoutMs,
  });
}

/**
 * The audit row of an enabling action, written BEFORE it acts: only a row in the database counts
 * (an enabling action that cannot be audited does not happen, so it is never spooled). Rows
 * spooled earlier go first, to keep the chain in the order things happened. Returns the refusal
 * when the row could not be written.
 */
export async function authoriseStep(
  ctx: OpsContext,
  runner: StepRunner,
  entry: AuditRequest,
): Promise<string | undefined> {
  const { db, auditSpool } = ctx;
  const step = await runner.run(
    'audit-authorisation',
    async () => {
      if (!db)
        throw new StepFailure(
          'no database access from here: an enabling action that cannot be audited does not happen',
        );
      const bounded = answeringWithin(db, ctx.settings.auditTimeoutMs);
      // Rows spooled earlier go first; a spool that cannot be read (S3 down) does not block a
      // database that answers (a database that fails here fails the write below anyway).
      const flushed = auditSpool
        ? await flushAuditSpool(bounded, auditSpool).catch(() => undefined)
        : undefined;
      if (flushed && flushed.remaining > 0)
        throw new StepFailure(`${flushed.remaining} earlier audit row(s) still spooled`);
      const row = await appendAudit(bounded, {
        ...auditEntry(ctx, entry),
        action: `${entry.action}-authorised`,
      });
      return `control_audit row ${row.id} (written before acting)`;
    },
    { timeoutMs: ctx.settings.enablingStepTimeoutMs },
  );
  return step.status === 'failed' ? `audit-authorisation: ${step.detail}` : undefined;
}
