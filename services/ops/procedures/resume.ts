import type { Queryable } from '../../common/db/queryable';
import { formatIst } from '../../common/time';
import { twoPersonRefusal } from '../../common/two-person';
import { reconciliationProblems, tradingTasks } from '../fleet/trading-tasks';
import { waitStable } from '../fleet/wait-stable';
import type { OpsContext } from '../platform/ports';
import { auditStep, authoriseStep } from '../steps/audit';
import { flagStep } from '../steps/flag';
import { gateStep } from '../steps/gate';
import { notifyStep } from '../steps/notify';
import { finish, type OperatorRequest, procedureId } from '../steps/procedure';
import {
  type ProcedureResult,
  type ProgressListener,
  StepFailure,
  type StepOutput,
  StepRunner,
} from '../steps/runner';
import { DESIRED_COUNT_TAG } from './emergency-stop';

export interface ResumeRequest extends OperatorRequest {
  /** Required by the two-person rule: someone other than the requester. */
  readonly approvedBy?: string;
}

/** The outcome of a readiness check. */
export interface ReadinessOutcome {
  readonly status: 'READY' | 'NOT_READY';
  readonly runId: string;
  readonly failing: readonly string[];
}

/** A readiness check run now (the morning checklist's checks). */
export type ReadinessRunner = (ctx: OpsContext) => Promise<ReadinessOutcome>;

/** Procedures whose READY result counts as a readiness check. */
export const READINESS_PROCEDURES = ['readiness', 'morning-checklist'] as const;

/**
 * Resume after a halt or a kill. Refuses at once without a reason's approver (two-person rule,
 * if configured) or while a HARD_HALT is active. Then restores the desired count the kill
 * remembered and waits until the service is stable (the flag is still false: nothing trades);
 * requires a READY readiness check no older than `readinessMaxAgeMs` (running one if there is
 * none) and clean reconciliation with the broker; writes the audit row of the enabling action;
 * and only then sets the flag "true". Fail closed: any of those steps that failed, threw, timed
 * out or could not run (no database) is a refusal, and a refused resume leaves the flag as it was.
 */
export async function resume(
  ctx: OpsContext,
  request: ResumeRequest,
  readiness: ReadinessRunner,
  onProgress?: ProgressListener,
): Promise<ProcedureResult> {
  const started = ctx.now();
  const id = procedureId('resume', started);
  const runner = new StepRunner(onProgress, ctx.sleep);
  const { db } = ctx;
  const refusals: string[] = [];
  const refuse = async (outcome: 'REFUSED') => {
    await auditStep(ctx, runner, {
      action: 'resume',
      request,
      outcome,
      after: { refusals },
      result: runner.results(),
    });
    return finish('resume', id, ctx, request, started, runner, outcome, refusals);
  };

  // Every step up to the flag is a gate: one that failed, threw or timed out is a refusal.
  const gate = (name: string, fn: () => Promise<StepOutput>, timeoutMs?: number) =>
    gateStep(ctx, runner, refusals, name, fn, timeoutMs);

  await gate('preconditions', async () => {
    const problems: string[] = [];
    const unapproved = ctx.settings.twoPersonResume
      ? twoPersonRefusal(request.requestedBy, request.approvedBy)
      : undefined;
    if (unapproved) problems.push(unapproved);
    if (!db)
      problems.push(
        'no database access: the risk halt and the readiness check cannot be verified from here',
      );
    else {
      const halt = await activeRiskHalt(db);
      if (halt)
        problems.push(`HARD_HALT is active (${halt}): review, then clear it with reset-risk-halt`);
    }
    refusals.push(...problems);
    if (problems.length) throw new StepFailure(problems.join('; '));
    return 'approver, risk halt: clear';
  });
  if (refusals.length) return refuse('REFUSED');

  const service = ctx.names.tradingService;
  let restoredTo: number | undefined;
  await gate('restore-desired-count', async () => {
    const tags = await ctx.fleet.tags(service);
    const remembered = tags[DESIRED_COUNT_TAG];
    const current = await ctx.fleet.describe(service);
    if (remembered === undefined)
      return {
        status: 'skipped',
        detail: `nothing remembered; ${service} runs ${current.desiredCount} task(s)`,
      };
    const count = Number(remembered);
    if (!Number.isInteger(count) || count < 0)
      throw new StepFailure(
        `tag ${DESIRED_COUNT_TAG} holds ${JSON.stringify(remembered)}, not a count`,
      );
    if (current.desiredCount < count) await ctx.fleet.setDesiredCount(service, count);
    await ctx.fleet.untag(service, [DESIRED_COUNT_TAG]);
    restoredTo = count;
    return `${service}: desired ${current.desiredCount} -> ${count}`;
  });

  // waitStable has its own deadline; the gate's is a backstop for a describe that hangs.
  await gate(
    'wait-stable',
    () => waitStable(ctx, service),
    ctx.settings.stableTimeoutMs + ctx.settings.enablingStepTimeoutMs,
  );

  await gate('readiness', async () => {
    const recent = db ? await recentReadiness(db, ctx.settings.readinessMaxAgeMs) : undefined;
    if (recent)
      return `readiness ${recent.id} READY at ${formatIst(Date.parse(recent.at))} (within ${ctx.settings.readinessMaxAgeMs / 60_000} min)`;
    const run = await readiness(ctx);
    if (run.status !== 'READY') {
      refusals.push(`readiness check ${run.runId} is NOT READY: ${run.failing.join('; ')}`);
      throw new StepFailure(`NOT READY: ${run.failing.join('; ')}`);
    }
    return `readiness ${run.runId} READY (run now)`;
  });

  await gate('reconciliation', async () => {
    const tasks = await tradingTasks(ctx);
    const first = tasks[0];
    if (!first) {
      refusals.push('no trading task running to reconcile with the broker');
      throw new StepFailure('no trading task running');
    }
    const what = reconciliationProblems(await ctx.trading.reconciliation(first.url));
    if (what.length) {
      refusals.push(`fills not reconciled with the broker: ${what.join('; ')}`);
      throw new StepFailure(what.join('; '));
    }
    return 'positions match the broker; no unacknowledged orders';
  });
  if (refusals.length) return refuse('REFUSED');

  // Audit before enabling: an enabling action that cannot be audited does not happen.
  const unaudited = await authoriseStep(ctx, runner, {
    action: 'resume',
    request,
    after: { flag: 'true', desiredCount: restoredTo, approvedBy: request.approvedBy },
    outcome: 'OK',
    result: runner.results(),
  });
  if (unaudited) {
    refusals.push(unaudited);
    return refuse('REFUSED');
  }

  const { before } = await flagStep(ctx, runner, 'true', request.requestedBy);
  await notifyStep(ctx, runner, 'notify', () => ({
    subject: `[resume] trading enabled on ${ctx.stage} by ${request.requestedBy}`,
    message: `${request.reason}${request.approvedBy ? ` (approved by ${request.approvedBy})` : ''}`,
  }));
  await auditStep(ctx, runner, {
    action: 'resume',
    request,
    before: { flag: before ?? null },
    after: { flag: 'true', desiredCount: restoredTo, approvedBy: request.approvedBy },
    outcome: runner.outcome() === 'OK' ? 'OK' : 'PARTIAL',
    result: runner.results(),
  });
  return finish('resume', id, ctx, request, started, runner);
}

async function activeRiskHalt(db: Queryable): Promise<string | undefined> {
  const { rows } = await db.query<{ reason: string | null }>(
    "SELECT detail->>'reason' AS reason FROM service_controls WHERE name = 'risk_halt' AND active",
  );
  return rows[0] ? (rows[0].reason ?? 'no reason recorded') : undefined;
}

async function recentReadiness(
  db: Queryable,
  maxAgeMs: number,
): Promise<{ id: string; at: string } | undefined> {
  const { rows } = await db.query<{ id: string; finished_at: Date }>(
    `SELECT id, finished_at FROM checklist_runs
      WHERE procedure = ANY($1) AND status = 'READY' AND finished_at > now() - $2 * interval '1 millisecond'
      ORDER BY finished_at DESC LIMIT 1`,
    [READINESS_PROCEDURES, maxAgeMs],
  );
  const row = rows[0];
  return row ? { id: row.id, at: row.finished_at.toISOString() } : undefined;
}
