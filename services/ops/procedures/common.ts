import { randomBytes } from 'node:crypto';
import type { QueryResultRow } from 'pg';
import type { CallerIdentity, ReconciliationView } from '../../../contract/trading-api';
import { type AuditEntry, type AuditOutcome, appendAudit } from '../../common/db/audit';
import { auditOrDefer, flushAuditSpool } from '../../common/db/audit-spool';
import type { Queryable } from '../../common/db/queryable';
import { messageOf } from '../../common/errors';
import { formatIst } from '../../common/time';
import type { OpsContext, TaskEndpoint } from '../platform/ports';
import {
  type Outcome,
  type ProcedureResult,
  StepFailure,
  type StepOutput,
  type StepResult,
  type StepRunner,
} from '../steps';

/** The operator's request: who and why (both required, both audited). */
export interface OperatorRequest {
  readonly requestedBy: string;
  readonly reason: string;
}

/** `<prefix>-<YYYYMMDD>T<HHMMSS>-<4 hex>`: sortable, readable in an S3 listing, unique. */
export function procedureId(prefix: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${prefix}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The kill flag's value now; undefined if the parameter does not exist. */
export async function readFlag(ctx: OpsContext): Promise<string | undefined> {
  return (await ctx.parameters.getParameters([ctx.names.flagParameter])).found.get(
    ctx.names.flagParameter,
  )?.value;
}

/**
 * Sets the kill flag as `by`; returns what it was (the audit's "before") and the step's detail.
 * Idempotent: a step may retry it.
 */
export async function setFlag(
  ctx: OpsContext,
  value: 'true' | 'false',
  by: string,
): Promise<{ before: string | undefined; detail: string }> {
  const before = await readFlag(ctx);
  const { version } = await ctx.parameters.putParameter(ctx.names.flagParameter, value, by);
  return {
    before,
    detail: `${ctx.names.flagParameter} = "${value}" (version ${version}, was ${JSON.stringify(before ?? null)})`,
  };
}

/** The trading tasks, as a step would use them: none running is an answer, not an error. */
export async function tradingTasks(ctx: OpsContext): Promise<TaskEndpoint[]> {
  return ctx.fleet.tasks(ctx.names.tradingService);
}

/** Runs `fn` on every task at once; returns one line per task and whether all succeeded. */
export async function onEveryTask<T>(
  tasks: readonly TaskEndpoint[],
  fn: (task: TaskEndpoint) => Promise<T>,
  describe: (task: TaskEndpoint, value: T) => string,
): Promise<{
  ok: boolean;
  lines: string[];
  values: Array<{ task: TaskEndpoint; value?: T; error?: string }>;
}> {
  const values = await Promise.all(
    tasks.map(async (task) => {
      try {
        return { task, value: await fn(task) };
      } catch (error) {
        return { task, error: messageOf(error) };
      }
    }),
  );
  return {
    ok: values.every((v) => v.error === undefined),
    lines: values.map((v) =>
      v.error === undefined ? describe(v.task, v.value as T) : `${v.task.taskId}: ${v.error}`,
    ),
    values,
  };
}

export function caller(request: OperatorRequest, procedure: string): CallerIdentity {
  return { requestedBy: request.requestedBy, reason: `${procedure}: ${request.reason}` };
}

export function finish(
  procedure: string,
  id: string,
  ctx: OpsContext,
  request: OperatorRequest,
  startedAt: number,
  runner: StepRunner,
  outcome: Outcome = runner.outcome(),
  refusals?: string[],
): ProcedureResult {
  return {
    procedure,
    id,
    stage: ctx.stage,
    requestedBy: request.requestedBy,
    reason: request.reason,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(ctx.now()).toISOString(),
    outcome,
    steps: runner.results(),
    ...(refusals ? { refusals } : {}),
  };
}

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

/**
 * Runs a step an enabling action depends on, with the enabling timeout: if it failed, threw or
 * timed out, that is a refusal. A step that already gave its own refusal is not repeated.
 */
export async function gateStep(
  ctx: OpsContext,
  runner: StepRunner,
  refusals: string[],
  name: string,
  fn: () => Promise<StepOutput>,
  timeoutMs: number = ctx.settings.enablingStepTimeoutMs,
): Promise<StepResult> {
  const before = refusals.length;
  const step = await runner.run(name, fn, { timeoutMs });
  if (step.status === 'failed' && refusals.length === before)
    refusals.push(`${name} could not run: ${step.detail}`);
  return step;
}

/** The step table as plain text: what a page, a report or the CLI shows. */
export function formatSteps(steps: readonly StepResult[]): string {
  const width = Math.max(4, ...steps.map((s) => s.name.length));
  return steps
    .map(
      (s) =>
        `${s.status.toUpperCase().padEnd(7)} ${s.name.padEnd(width)} ${String(s.durationMs).padStart(6)} ms  ${s.detail}`,
    )
    .join('\n');
}

export function describeResult(result: ProcedureResult): string {
  return [
    `${result.procedure} ${result.id} on ${result.stage}: ${result.outcome}`,
    `requested by ${result.requestedBy} at ${formatIst(Date.parse(result.startedAt))}: ${result.reason}`,
    ...(result.refusals?.length ? ['', 'Refused:', ...result.refusals.map((r) => `  - ${r}`)] : []),
    '',
    formatSteps(result.steps),
  ].join('\n');
}

/** What keeps the service's view from matching the broker's; empty when reconciled. */
export function reconciliationProblems(r: ReconciliationView): string[] {
  if (r.ok) return [];
  return [
    ...r.mismatches.map((m) => `${m.position}: ours ${m.ours}, broker ${m.broker}`),
    ...r.uncertainOrders.map((o) => `order ${o} not acknowledged`),
  ];
}
