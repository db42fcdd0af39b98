import { flattenRequestValue } from '../../../contract/flatten-request';
import type { PositionView } from '../../../contract/trading-api';
import { messageOf } from '../../common/errors';
import { retry } from '../../common/retry';
import { onEveryTask, tradingTasks } from '../fleet/trading-tasks';
import { claimInvocation, recordInvocation } from '../invocations';
import type { OpsContext, TaskEndpoint } from '../platform/ports';
import { describeResult } from '../reports/procedure-report';
import { type AlgoHaltOutcome, algoHaltSteps, strategiesOfAlgo } from '../steps/algo';
import { auditStep } from '../steps/audit';
import { flagStep } from '../steps/flag';
import { notifyStep } from '../steps/notify';
import { caller, finish, type OperatorRequest, procedureId } from '../steps/procedure';
import {
  type ProcedureResult,
  type ProgressListener,
  StepFailure,
  StepRunner,
  withinTimeout,
} from '../steps/runner';
import { incidentBundle } from './incident-bundle';

/** The service tag that remembers the desired count a kill scaled away (for resume). */
export const DESIRED_COUNT_TAG = 'algo-trading:desired-count-before-kill';

export interface EmergencyStopRequest extends OperatorRequest {
  /** Also scale the trading service to 0 (seed 002, method 2), last. */
  readonly scaleToZero: boolean;
  /**
   * Stop this exchange algo ID only (the exchange's per-algo kill): its halt instead of the
   * flag, and its strategies' entries cancelled, positions flattened and verified; the other
   * algos trade on. Not with `scaleToZero`.
   */
  readonly algoId?: string;
  /** An event that may be delivered again (an alarm): the first delivery acts, later ones do not. */
  readonly dedupeKey?: string;
}

export interface EmergencyStopResult extends ProcedureResult {
  /** Set when this was a repeat delivery: the earlier stop's result is returned instead. */
  readonly duplicateOf?: string;
}

/**
 * The kill switch. In order: flag false; a flatten request (so that tasks which start later, or
 * which this procedure cannot reach, flatten themselves); the halt pushed to every running task;
 * working entry orders confirmed gone; flatten; positions verified at zero (re-flattening until
 * `verifyFlatTimeoutMs`); if asked, the desired count remembered and the service scaled to 0
 * (last: flattening needs the service); the incident bundle; a page; the audit row. Every step
 * runs whatever happened before it, is safe to run twice, and reports ok/failed/skipped.
 * With `algoId`, the same steps for that algo alone (`algoHaltSteps` in place of the flag and the
 * push; the flatten request names the algo, so tasks nothing else reaches halt and flatten it).
 */
export async function emergencyStop(
  ctx: OpsContext,
  request: EmergencyStopRequest,
  onProgress?: ProgressListener,
): Promise<EmergencyStopResult> {
  const started = ctx.now();
  const id = procedureId('kill', started);
  const runner = new StepRunner(onProgress, ctx.sleep);
  if (request.dedupeKey) {
    const key = request.dedupeKey;
    // Bounded: a kill never waits for the database.
    const claim = await (ctx.db
      ? withinTimeout(
          claimInvocation(ctx.db, ctx, 'emergency-stop', key, id),
          ctx.settings.auditTimeoutMs,
        )
      : Promise.reject(new Error('no database access from here'))
    ).catch((error: unknown) => ({ error: messageOf(error) }));
    if ('error' in claim) {
      // The stop runs anyway: every step is idempotent, and a second run does no harm.
      await runner.run('dedupe', async () => {
        throw new StepFailure(
          `could not claim ${key} (${claim.error}): the stop runs without de-duplication`,
        );
      });
    } else if (!claim.claimed) {
      runner.skip('duplicate', claim.detail);
      return {
        ...finish('emergency-stop', id, ctx, request, started, runner),
        duplicateOf: claim.id,
      };
    }
  }
  const { algoId } = request;
  const who = caller(request, algoId ? `emergency stop of algo ${algoId}` : 'emergency stop');
  const { names } = ctx;
  let listError = '';
  const listTasks = () =>
    tradingTasks(ctx).catch((error: unknown) => {
      listError = messageOf(error);
      return undefined;
    });
  // The global stop writes the flag and the flatten request before it looks for tasks (nothing
  // waits on ECS); one algo's stop has no flag: its halt goes to the row and to the tasks.
  let tasks: TaskEndpoint[] | undefined;
  let flagBefore: string | undefined;
  let algoHalt: AlgoHaltOutcome | undefined;
  if (algoId) {
    tasks = await listTasks();
    algoHalt = await algoHaltSteps(ctx, runner, request, algoId, who, tasks);
  } else flagBefore = (await flagStep(ctx, runner, 'false', request.requestedBy)).before;

  await runner.run(
    'flatten-request',
    async () => {
      const body = flattenRequestValue({
        id,
        reason: request.reason,
        requester: request.requestedBy,
        algoId,
      });
      const { version } = await ctx.parameters.putParameter(
        names.flattenRequestParameter,
        body,
        request.requestedBy,
      );
      return `${names.flattenRequestParameter} = request ${id} (version ${version})`;
    },
    { retry: { attempts: 4 } },
  );

  if (!algoId) tasks = await listTasks();
  // From outside the VPC no task can be asked anything: say so at once rather than retry.
  const requireReach = () => {
    if (ctx.trading.unreachableBecause)
      throw new StepFailure(
        `${tasks?.length} task(s) running, but ${ctx.trading.unreachableBecause}; they act on the flatten request themselves`,
      );
  };
  // What the halt cancels: the entries working when it was pushed (it cancels them in each task).
  const cancelledByHalt: string[] = [...(algoHalt?.cancelled ?? [])];
  // An algo's entries and positions: those of its strategies (undefined: every one).
  const ofAlgo = (o: { algoId?: string }) => !algoId || o.algoId === algoId;
  let algoStrategies: string[] | undefined;
  if (algoId) runner.skip('push-halt', `the halt of algo ${algoId} was pushed (push-algo-halt)`);
  else
    await runner.run('push-halt', async () => {
      if (!tasks) throw new StepFailure(`could not list the trading tasks: ${listError}`);
      if (tasks.length === 0) return { status: 'skipped', detail: 'no trading task running' };
      requireReach();
      const r = await onEveryTask(
        tasks,
        async (t) => {
          const entries = await ctx.trading
            .workingOrders(t.url)
            .then((orders) => orders.filter((o) => !o.reduceOnly).map((o) => o.clientOrderId))
            .catch(() => undefined);
          const halted = await retry(() => ctx.trading.halt(t.url, who), { sleep: ctx.sleep });
          return { state: halted.state, entries };
        },
        (t, v) => `${t.taskId}: ${v.state}, ${cancelling(v.entries)}`,
      );
      for (const v of r.values) cancelledByHalt.push(...(v.value?.entries ?? []));
      if (!r.ok) throw new StepFailure(`not every task acknowledged: ${r.lines.join('; ')}`);
      return r.lines.join('; ');
    });

  await runner.run('cancel-working-orders', async () => {
    if (!tasks?.length) return { status: 'skipped', detail: 'no trading task running' };
    requireReach();
    // The halt cancels working entries in each task; confirm none is left (exits may stay).
    const deadline = ctx.now() + ctx.settings.cancelConfirmTimeoutMs;
    for (;;) {
      const r = await onEveryTask(
        tasks,
        (t) => ctx.trading.workingOrders(t.url),
        (t, o) => `${t.taskId}: ${o.filter((x) => !x.reduceOnly && ofAlgo(x)).length} left`,
      );
      const entries = r.values.flatMap((v) =>
        (v.value ?? []).filter((o) => !o.reduceOnly && ofAlgo(o)),
      );
      if (r.ok && entries.length === 0)
        return cancelledByHalt.length
          ? `${plural(cancelledByHalt.length, 'entry', 'entries')} cancelled by the halt (${cancelledByHalt.join(', ')}); none left working`
          : `no working entry orders (${r.lines.join('; ')})`;
      if (ctx.now() > deadline) {
        throw new StepFailure(
          r.ok
            ? `entries still working: ${entries.map((o) => o.clientOrderId).join(', ')}`
            : r.lines.join('; '),
        );
      }
      await ctx.sleep(500);
    }
  });

  const flattenAll = async () => {
    if (!tasks?.length) throw new StepFailure('no trading task to flatten with');
    return onEveryTask(
      tasks,
      (t) => ctx.trading.flatten(t.url, who, false, algoId),
      (t, f) => `${t.taskId}: ${f.submitted.length} exits, ${f.failed.length} failed`,
    );
  };
  await runner.run('flatten', async () => {
    if (!tasks?.length)
      return {
        status: 'skipped',
        detail: 'no trading task running (the flatten request remains for the next one)',
      };
    requireReach();
    const r = await flattenAll();
    if (!r.ok || r.values.some((v) => (v.value?.failed.length ?? 0) > 0))
      throw new StepFailure(r.lines.join('; '));
    return r.lines.join('; ');
  });

  let residual: PositionView[] = [];
  await runner.run('verify-flat', async () => {
    const first = tasks?.[0];
    if (!first) return { status: 'skipped', detail: 'no trading task to ask for positions' };
    requireReach();
    if (algoId) algoStrategies = await strategiesOfAlgo(ctx, tasks ?? [], algoId);
    const inScope = (p: PositionView) => !algoStrategies || algoStrategies.includes(p.strategyId);
    const deadline = ctx.now() + ctx.settings.verifyFlatTimeoutMs;
    let checks = 0;
    let lastFlatten = ctx.now();
    for (;;) {
      checks += 1;
      residual = (await ctx.trading.positions(first.url)).filter(
        (p) => p.quantity !== 0 && inScope(p),
      );
      if (residual.length === 0)
        return `${algoId ? `algo ${algoId}'s` : 'all'} positions zero (${checks} check${checks > 1 ? 's' : ''})`;
      if (ctx.now() > deadline) break;
      // Exits still filling, or a leg that failed: flatten again (it sends only what is missing).
      if (ctx.now() - lastFlatten >= 3000) {
        await flattenAll().catch(() => undefined);
        lastFlatten = ctx.now();
      }
      // Market exits usually fill within a fraction of a second: look again soon, then back off.
      await ctx.sleep(Math.min(1000, 100 * 2 ** (checks - 1)));
    }
    throw new StepFailure(
      `positions not flat after ${checks} checks: ${residual.map((p) => `${p.strategyId}/${p.symbol} ${p.quantity}`).join(', ')}`,
    );
  });

  if (!request.scaleToZero) runner.skip('scale-to-zero', 'not requested');
  else if (algoId)
    runner.skip('scale-to-zero', `refused: scaling to 0 stops every algo, not only ${algoId}`);
  else {
    await runner.run(
      'scale-to-zero',
      async () => {
        const service = names.tradingService;
        const description = await ctx.fleet.describe(service);
        const tags = await ctx.fleet.tags(service);
        // A second kill must not overwrite the count the first one remembered with 0.
        const remembered = tags[DESIRED_COUNT_TAG];
        if (remembered === undefined && description.desiredCount > 0) {
          await ctx.fleet.tag(service, { [DESIRED_COUNT_TAG]: String(description.desiredCount) });
        }
        await ctx.fleet.setDesiredCount(service, 0);
        return `${service}: desired ${description.desiredCount} -> 0 (resume restores ${remembered ?? description.desiredCount})`;
      },
      { retry: { attempts: 3 } },
    );
  }

  await runner.run('incident-bundle', async () => {
    const bundle = await incidentBundle(ctx, {
      id,
      reason: request.reason,
      requestedBy: request.requestedBy,
      algoId,
    });
    const where = `${ctx.objects.location}/${bundle.prefix}`;
    return bundle.missing.length
      ? `${where} (missing: ${bundle.missing.join('; ')})`
      : `${where} (${bundle.files.length} files)`;
  });

  const outcomeSoFar = runner.outcome();
  await notifyStep(ctx, runner, 'page', () => ({
    subject:
      `[P1] KILL${algoId ? ` algo ${algoId}` : ''} ${outcomeSoFar} on ${ctx.stage}: ${request.reason}`.slice(
        0,
        100,
      ),
    message: describeResult(
      finish('emergency-stop', id, ctx, request, started, runner, outcomeSoFar),
    ),
  }));

  await auditStep(ctx, runner, {
    action: 'emergency-stop',
    request,
    before: algoId ? { algoId, halted: algoHalt?.wasHalted ?? null } : { flag: flagBefore ?? null },
    after: algoId
      ? { algoId, halted: true, stored: algoHalt?.stored, strategies: algoStrategies, residual }
      : { flag: 'false', scaleToZero: request.scaleToZero, residual },
    outcome: runner.outcome(),
    result: runner.results(),
  });
  const result = finish('emergency-stop', id, ctx, request, started, runner);
  if (request.dedupeKey && ctx.db)
    await withinTimeout(
      recordInvocation(ctx.db, request.dedupeKey, result),
      ctx.settings.auditTimeoutMs,
    ).catch(() => undefined);
  return result;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What the halt of one task cancels, as its line in the push-halt step says it. */
function cancelling(entries: readonly string[] | undefined): string {
  if (entries === undefined) return 'its working entries could not be listed before the halt';
  if (entries.length === 0) return 'no working entries to cancel';
  return `cancelling ${plural(entries.length, 'working entry', 'working entries')} (${entries.join(', ')})`;
}
