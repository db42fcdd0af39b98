import { formatIst } from '../../common/time';
import { waitStable } from '../fleet/wait-stable';
import type { OpsContext } from '../platform/ports';
import { auditStep } from '../steps/audit';
import { finish, type OperatorRequest, procedureId } from '../steps/procedure';
import {
  type ProcedureResult,
  type ProgressListener,
  StepFailure,
  StepRunner,
} from '../steps/runner';

/**
 * A change to a service: make it, wait for the service to be stable, audit before and after.
 * `steps` answers undefined when it changed nothing: its failed steps are the refusals.
 */
async function serviceChange(
  ctx: OpsContext,
  action: string,
  service: string,
  request: OperatorRequest,
  steps: (runner: StepRunner) => Promise<{ before: unknown; after: unknown } | undefined>,
  onProgress?: ProgressListener,
): Promise<ProcedureResult> {
  const started = ctx.now();
  const id = procedureId(action, started);
  const runner = new StepRunner(onProgress, ctx.sleep);
  const change = await steps(runner);
  if (!change) {
    await auditStep(ctx, runner, {
      action,
      request,
      outcome: 'REFUSED',
      result: runner.results(),
    });
    const refusals = runner
      .results()
      .filter((s) => s.status === 'failed')
      .map((s) => s.detail);
    return finish(action, id, ctx, request, started, runner, 'REFUSED', refusals);
  }
  await runner.run('wait-stable', () => waitStable(ctx, service));
  await auditStep(ctx, runner, {
    action,
    request,
    before: change.before,
    after: change.after,
    outcome: runner.outcome() === 'OK' ? 'OK' : 'PARTIAL',
    result: runner.results(),
  });
  return finish(action, id, ctx, request, started, runner);
}

export type ServiceKind = 'trading' | 'dashboard';

const serviceName = (ctx: OpsContext, kind: ServiceKind) =>
  kind === 'trading' ? ctx.names.tradingService : ctx.names.dashboardService;

/**
 * Replaces a service's tasks with fresh ones of the same revision (seed 002's restart). The
 * trading tasks halt on SIGTERM; the kill flag is not touched.
 */
export function restartService(
  ctx: OpsContext,
  request: OperatorRequest & { service: ServiceKind },
  onProgress?: ProgressListener,
): Promise<ProcedureResult> {
  const service = serviceName(ctx, request.service);
  return serviceChange(
    ctx,
    'restart',
    service,
    request,
    async (runner) => {
      let before: unknown;
      const deployed = await runner.run('force-new-deployment', async () => {
        const d = await ctx.fleet.describe(service);
        before = { taskDefinition: d.taskDefinition, running: d.runningCount };
        await ctx.fleet.forceNewDeployment(service);
        return `${service}: new deployment of ${d.taskDefinition ?? 'its task definition'} (${d.desiredCount} task(s))`;
      });
      return deployed.status === 'failed' ? undefined : { before, after: { restarted: service } };
    },
    onProgress,
  );
}

/**
 * Sets the trading service's task count. Refuses 0 while positions are open: stopping the
 * tasks would leave them unmanaged; the emergency stop flattens first (`kill --scale-to-zero`).
 */
export function scaleService(
  ctx: OpsContext,
  request: OperatorRequest & { count: number },
  onProgress?: ProgressListener,
): Promise<ProcedureResult> {
  const service = ctx.names.tradingService;
  return serviceChange(
    ctx,
    'scale',
    service,
    request,
    async (runner) => {
      let before: number | undefined;
      const pre = await runner.run('preconditions', async () => {
        if (request.count > 0) return `scale to ${request.count}`;
        if (!ctx.db)
          throw new StepFailure('no database access: open positions cannot be ruled out');
        const { rows } = await ctx.db.query<{ open: number }>(
          'SELECT count(*)::int AS open FROM positions WHERE quantity <> 0',
        );
        const open = rows[0]?.open ?? 0;
        if (open > 0)
          throw new StepFailure(
            `${open} position(s) open: scaling to 0 would leave them unmanaged; use "tradeops kill <stage> --scale-to-zero" (flattens first)`,
          );
        return 'no open positions';
      });
      if (pre.status === 'failed') return undefined;
      await runner.run('set-desired-count', async () => {
        before = (await ctx.fleet.describe(service)).desiredCount;
        await ctx.fleet.setDesiredCount(service, request.count);
        return `${service}: desired ${before} -> ${request.count}`;
      });
      return { before: { desiredCount: before }, after: { desiredCount: request.count } };
    },
    onProgress,
  );
}

/**
 * Rolls the trading service back to an earlier revision of its task definition: `toRevision`,
 * or the newest active one before the revision it runs.
 */
export function rollbackService(
  ctx: OpsContext,
  request: OperatorRequest & { toRevision?: number },
  onProgress?: ProgressListener,
): Promise<ProcedureResult> {
  const service = ctx.names.tradingService;
  return serviceChange(
    ctx,
    'rollback',
    service,
    request,
    async (runner) => {
      let from: string | undefined;
      let to: string | undefined;
      const chosen = await runner.run('choose-revision', async () => {
        const [d, revisions] = await Promise.all([
          ctx.fleet.describe(service),
          ctx.fleet.revisions(service),
        ]);
        from = d.taskDefinition;
        const current = revisions.find((r) => r.arn === from);
        const target =
          request.toRevision === undefined
            ? revisions.find(
                (r) => r.status === 'ACTIVE' && current && r.revision < current.revision,
              )
            : revisions.find((r) => r.revision === request.toRevision);
        if (!target)
          throw new StepFailure(
            request.toRevision === undefined
              ? `no active revision before ${from ?? 'the current one'}`
              : `revision ${request.toRevision} does not exist (have ${revisions.map((r) => r.revision).join(', ')})`,
          );
        if (target.status !== 'ACTIVE')
          throw new StepFailure(`revision ${target.revision} is ${target.status}: it cannot run`);
        if (target.arn === from)
          throw new StepFailure(`${service} already runs revision ${target.revision}`);
        to = target.arn;
        return `${from} -> ${target.arn}`;
      });
      if (chosen.status === 'failed' || !to) return undefined;
      const arn = to;
      await runner.run('deploy-revision', async () => {
        await ctx.fleet.deployRevision(service, arn);
        return `${service} deploying ${arn}`;
      });
      return { before: { taskDefinition: from }, after: { taskDefinition: to } };
    },
    onProgress,
  );
}

/** `algo-trading-<stage>-db-restored-<YYYYMMDDHHmm>`: the default target of a restore. */
export function restoreTarget(ctx: OpsContext, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:T]/g, '').slice(0, 12);
  return `${ctx.names.dbInstance}-restored-${stamp}`;
}

/**
 * Restores a snapshot to a new instance (locally, a new database), never over the live one; the
 * application keeps using the live database until someone points it at the copy.
 */
export async function restoreDatabase(
  ctx: OpsContext,
  request: OperatorRequest & { snapshotId: string; target?: string },
  onProgress?: ProgressListener,
): Promise<ProcedureResult> {
  const started = ctx.now();
  const id = procedureId('restore', started);
  const runner = new StepRunner(onProgress, ctx.sleep);
  const target = request.target ?? restoreTarget(ctx, started);
  const { database } = ctx;
  const refusals: string[] = [];
  await runner.run('preconditions', async () => {
    if (!database) refusals.push('no database admin access from here');
    else if (target === database.instanceId || target === ctx.names.dbInstance)
      refusals.push(`${target} is the live database: a restore always goes to a new instance`);
    else {
      const snapshot = await database.snapshot(request.snapshotId);
      if (!snapshot) refusals.push(`snapshot ${request.snapshotId} does not exist`);
      else if (snapshot.status !== 'available')
        refusals.push(`snapshot ${request.snapshotId} is ${snapshot.status}, not available`);
    }
    if (refusals.length) throw new StepFailure(refusals.join('; '));
    return `${request.snapshotId} is available; target ${target}`;
  });
  let endpoint: string | undefined;
  if (!refusals.length && database) {
    await runner.run('restore', async () => {
      endpoint = await database.restoreSnapshot(request.snapshotId, target);
      return `${request.snapshotId} -> ${target} (${endpoint}); started ${formatIst(started)}`;
    });
  }
  const outcome = refusals.length ? 'REFUSED' : runner.outcome() === 'OK' ? 'OK' : 'FAILED';
  await auditStep(ctx, runner, {
    action: 'restore',
    request,
    after: endpoint ? { target, endpoint } : undefined,
    outcome,
    result: runner.results(),
  });
  return finish(
    'restore',
    id,
    ctx,
    request,
    started,
    runner,
    outcome,
    refusals.length ? refusals : undefined,
  );
}
