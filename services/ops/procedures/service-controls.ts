import type { CallerIdentity, FlattenView } from '../../../contract/trading-api';
import { verifyAuditChain } from '../../common/db/audit';
import { onEveryTask, tradingTasks } from '../fleet/trading-tasks';
import type { OpsContext } from '../platform/ports';
import type { TradingClient } from '../platform/trading-client';
import { auditStep, authoriseStep } from '../steps/audit';
import { type Notification, notifyStep } from '../steps/notify';
import { caller, finish, type OperatorRequest, procedureId } from '../steps/procedure';
import {
  type ProcedureResult,
  type ProgressListener,
  StepFailure,
  StepRunner,
} from '../steps/runner';

type TaskCall<T> = (client: TradingClient, url: string, who: CallerIdentity) => Promise<T>;

/** What makes a control enabling: it lets trading go on, so it is audited before it acts. */
interface ControlOptions {
  readonly enabling?: boolean;
}

/**
 * One control call on every running trading task, audited as one action. An enabling control
 * writes its audit row first and, if it cannot, is refused without calling any task.
 */
async function onAllTasks<T>(
  ctx: OpsContext,
  action: string,
  request: OperatorRequest,
  call: TaskCall<T>,
  describe: (value: T) => string,
  onProgress?: ProgressListener,
  notify?: (result: ProcedureResult) => Notification,
  options: ControlOptions = {},
): Promise<ProcedureResult & { values: T[] }> {
  const started = ctx.now();
  const id = procedureId(action, started);
  const runner = new StepRunner(onProgress, ctx.sleep);
  const values: T[] = [];
  if (options.enabling) {
    const refusal = await authoriseStep(ctx, runner, {
      action,
      request,
      outcome: 'OK',
      result: runner.results(),
    });
    if (refusal) {
      await auditStep(ctx, runner, {
        action,
        request,
        outcome: 'REFUSED',
        result: runner.results(),
      });
      return {
        ...finish(action, id, ctx, request, started, runner, 'REFUSED', [refusal]),
        values,
      };
    }
  }
  await runner.run(action, async () => {
    const tasks = await tradingTasks(ctx);
    if (tasks.length === 0) throw new StepFailure('no trading task running');
    const r = await onEveryTask(
      tasks,
      (t) => call(ctx.trading, t.url, caller(request, action)),
      (t, v) => `${t.taskId}: ${describe(v)}`,
    );
    for (const v of r.values) if (v.value !== undefined) values.push(v.value);
    if (!r.ok) throw new StepFailure(r.lines.join('; '));
    return r.lines.join('; ');
  });
  if (notify) {
    // One attempt, as these controls have always sent it.
    await notifyStep(
      ctx,
      runner,
      'notify',
      () => notify(finish(action, id, ctx, request, started, runner)),
      1,
    );
  }
  await auditStep(ctx, runner, {
    action,
    request,
    outcome: runner.outcome(),
    result: runner.results(),
  });
  return { ...finish(action, id, ctx, request, started, runner), values };
}

/** No new entries anywhere (exits continue); kept across restarts by the service. */
export function pause(ctx: OpsContext, request: OperatorRequest, onProgress?: ProgressListener) {
  return onAllTasks(
    ctx,
    'pause',
    request,
    (c, url, who) => c.pause(url, who),
    (v) => v.state,
    onProgress,
  );
}

export function unpause(ctx: OpsContext, request: OperatorRequest, onProgress?: ProgressListener) {
  return onAllTasks(
    ctx,
    'unpause',
    request,
    (c, url, who) => c.unpause(url, who),
    (v) => v.state,
    onProgress,
    undefined,
    { enabling: true },
  );
}

/**
 * Closes every position with market orders (seed 004), or with `algoId` the positions of that
 * algo's strategies only; `dryRun` lists what it would send and sends nothing.
 */
export function flatten(
  ctx: OpsContext,
  request: OperatorRequest & { dryRun: boolean; algoId?: string },
  onProgress?: ProgressListener,
) {
  const scope = request.algoId === undefined ? '' : '-algo';
  return onAllTasks<FlattenView>(
    ctx,
    request.dryRun ? `flatten${scope}-dry-run` : `flatten${scope}`,
    request,
    (c, url, who) => c.flatten(url, who, request.dryRun, request.algoId),
    (f) =>
      request.dryRun
        ? `would send ${f.legs.map((l) => `${l.side} ${l.quantity} ${l.symbol}`).join(', ') || 'nothing'}; would cancel ${f.cancelledEntries.length} entries`
        : `${f.submitted.length} exits sent, ${f.failed.length} failed, ${f.cancelledEntries.length} entries cancelled`,
    onProgress,
    request.dryRun
      ? undefined
      : (r) => ({
          subject: `[flatten${request.algoId ? ` algo ${request.algoId}` : ''}] ${ctx.stage}: ${r.outcome} by ${request.requestedBy}`,
          message: `${request.reason}\n\n${r.steps.map((s) => s.detail).join('\n')}`,
        }),
  );
}

/** Clears a HARD_HALT after review: the only way out of it. */
export function resetRiskHalt(
  ctx: OpsContext,
  request: OperatorRequest,
  onProgress?: ProgressListener,
) {
  return onAllTasks(
    ctx,
    'reset-risk-halt',
    request,
    (c, url, who) => c.resetRiskHalt(url, who),
    (v) => v.state,
    onProgress,
    (r) => ({
      subject: `[reset-risk-halt] ${ctx.stage} by ${request.requestedBy}`,
      message: `${request.reason}\n\n${r.steps.map((s) => s.detail).join('\n')}`,
    }),
    { enabling: true },
  );
}

/** Walks the control_audit hash chain; names the first broken row. */
export async function verifyAudit(ctx: OpsContext) {
  if (!ctx.db)
    throw new Error(
      'audit verify needs the database (run it through the control Lambda or locally)',
    );
  return verifyAuditChain(ctx.db);
}
