import { randomBytes } from 'node:crypto';
import { type AuditOutcome, appendAudit } from '../../common/db/audit';
import { messageOf } from '../../common/errors';
import { formatIst } from '../../common/time';
import type { OpsContext, TaskEndpoint } from '../platform/ports';
import type { CallerIdentity, ReconciliationView } from '../platform/trading-client';
import type { Outcome, ProcedureResult, StepResult, StepRunner } from '../steps';

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

/** The audit row of a procedure, as a step: skipped (and said so) without database access. */
export async function auditStep(
  ctx: OpsContext,
  runner: StepRunner,
  entry: {
    action: string;
    request: OperatorRequest;
    before?: unknown;
    after?: unknown;
    outcome: AuditOutcome;
    result: unknown;
  },
): Promise<StepResult> {
  const { db } = ctx;
  if (!db) {
    return runner.skip(
      'audit',
      'no database access from here; the trading service audits the flag change and the flatten request it acts on',
    );
  }
  return runner.run(
    'audit',
    async () => {
      const row = await appendAudit(db, {
        actor: entry.request.requestedBy,
        source: ctx.source,
        action: entry.action,
        reason: entry.request.reason,
        stage: ctx.stage,
        before: entry.before,
        after: entry.after,
        outcome: entry.outcome,
        result: entry.result,
      });
      return `control_audit row ${row.id}`;
    },
    { retry: { attempts: 3 } },
  );
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
