import { type AuditEntry, appendAudit } from '../../common/db/audit';
import { auditOrDefer } from '../../common/db/audit-spool';
import { messageOf } from '../../common/errors';
import { MORNING_CHECKS } from '../checks/morning-checks';
import type { OpsContext } from '../platform/ports';
import { readFlag } from '../steps/flag';
import {
  type ChecklistReport,
  deliverReport,
  evaluateChecklist,
  runChecklist,
  type ScheduledRequest,
} from './checklist';
import type { ReadinessRunner } from './resume';

export interface MorningRequest extends ScheduledRequest {
  /** Apply the readiness gate (when configured). @default true */
  readonly gate?: boolean;
}

export interface MorningReport extends ChecklistReport {
  /** What the readiness gate did, if it acted. */
  readonly gate?: string;
}

/**
 * The morning checklist (08:45 IST): READY or NOT READY; NOT READY pages (P2). With the readiness
 * gate configured, a NOT READY result also keeps the flag "false" (setting it, audited, if an
 * operator had enabled it). `gate: false` checks only (`tradeops health-check`).
 */
export async function morningChecklist(
  ctx: OpsContext,
  request: MorningRequest,
): Promise<MorningReport> {
  if (request.gate === false) return healthCheck(ctx, request);
  const report = await evaluateChecklist(ctx, MORNING_CHECKS, {
    procedure: 'morning-checklist',
    readiness: true,
    ...request,
  });
  const gate =
    report.status === 'NOT_READY' && ctx.settings.readinessGate
      ? await keepFlagFalse(ctx, report)
      : undefined;
  const delivered = await deliverReport(
    ctx,
    gate
      ? { ...report, summary: `[P2] readiness gate: ${gate.action}\n${report.summary}` }
      : report,
    { topic: report.status === 'NOT_READY' ? 'page' : 'notify' },
  );
  return gate
    ? {
        ...delivered,
        gate: gate.action,
        deliveryErrors: [...delivered.deliveryErrors, ...gate.errors],
      }
    : delivered;
}

/** The readiness gate: the flag stays (or becomes) "false", audited. */
async function keepFlagFalse(
  ctx: OpsContext,
  report: ChecklistReport,
): Promise<{ action: string; errors: string[] }> {
  try {
    const current = await readFlag(ctx);
    if (current?.trim() !== 'true') return { action: 'flag already false', errors: [] };
    await ctx.parameters.putParameter(ctx.names.flagParameter, 'false', 'readiness-gate');
    const row: AuditEntry = {
      actor: 'readiness-gate',
      source: ctx.source,
      action: 'halt',
      reason: `morning checklist ${report.id} NOT READY`,
      stage: ctx.stage,
      before: { flag: current },
      after: { flag: 'false' },
      outcome: 'OK',
      result: { failing: report.results.filter((r) => r.status === 'FAIL').map((r) => r.name) },
    };
    // A halt is audited even with the database down: spooled, in order, like the other halts.
    if (ctx.auditSpool) await auditOrDefer(ctx.db, ctx.auditSpool, row);
    else if (ctx.db) await appendAudit(ctx.db, row);
    return { action: 'flag set to false (it was "true")', errors: [] };
  } catch (error) {
    const action = `could not keep the flag false: ${messageOf(error)}`;
    return { action, errors: [action] };
  }
}

/**
 * Readiness now (`tradeops health-check`, resume): the morning checks whatever the day, one
 * report per run under `reports/readiness/`, not paged (someone is looking at it), no gate.
 */
export function healthCheck(ctx: OpsContext, request: ScheduledRequest): Promise<ChecklistReport> {
  return runChecklist(ctx, MORNING_CHECKS, {
    procedure: 'readiness',
    readiness: true,
    reportPerRun: true,
    triggeredBy: request.triggeredBy,
    date: request.date,
    force: true,
  });
}

/** The readiness check that resume runs when there is no recent READY one. */
export const runReadinessCheck: ReadinessRunner = async (ctx) => {
  const report = await healthCheck(ctx, { triggeredBy: 'resume' });
  return {
    status: report.status === 'READY' ? 'READY' : 'NOT_READY',
    runId: report.id,
    failing: report.results.filter((r) => r.status === 'FAIL').map((r) => `${r.name}: ${r.detail}`),
  };
};
