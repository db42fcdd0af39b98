import type { CallerIdentity } from '../../../contract/trading-api';
import { setAlgoHalt } from '../../common/db/algo-halts';
import { retry } from '../../common/retry';
import { onEveryTask } from '../fleet/trading-tasks';
import type { OpsContext, TaskEndpoint } from '../platform/ports';
import type { OperatorRequest } from './procedure';
import { StepFailure, type StepRunner } from './runner';

/** What the halt of one algo found and did. */
export interface AlgoHaltOutcome {
  /** Whether the algo was halted before (undefined: the row could not be read from here). */
  readonly wasHalted?: boolean;
  /** Its working entries the tasks cancelled. */
  readonly cancelled: readonly string[];
  /** Whether the halt is durable: in PostgreSQL (written here, or by a task it was pushed to). */
  readonly stored: boolean;
}

/**
 * The halt of one algo, the per-algo kill switch (halt --algo, kill --algo): its row in
 * `algo_halts` (durable, every task reads it each second), then the halt pushed to every running
 * task (applied at once, its working entries cancelled; each task stores the row too). Either is
 * enough to stop the algo's entries; a task's push also stores the row when this process has no
 * database. The global flag is untouched: the other algos trade on.
 */
export async function algoHaltSteps(
  ctx: OpsContext,
  runner: StepRunner,
  request: OperatorRequest,
  algoId: string,
  who: CallerIdentity,
  tasks: readonly TaskEndpoint[] | undefined,
): Promise<AlgoHaltOutcome> {
  let wasHalted: boolean | undefined;
  let stored = false;
  const cancelled: string[] = [];
  const { db } = ctx;
  await runner.run(
    'algo-halt',
    async () => {
      if (!db)
        return {
          status: 'skipped',
          detail: 'no database from here: the tasks store the halt when it is pushed to them',
        };
      const r = await setAlgoHalt(db, algoId, true, request.requestedBy, request.reason);
      wasHalted = r.wasHalted;
      stored = true;
      return `algo ${algoId} halted in algo_halts (${r.wasHalted ? 'it was halted already' : 'it was trading'}); every task applies it within a second`;
    },
    { retry: { attempts: 3 }, timeoutMs: ctx.settings.auditTimeoutMs },
  );
  await runner.run('push-algo-halt', async () => {
    if (!tasks) throw new StepFailure('could not list the trading tasks');
    if (tasks.length === 0) return { status: 'skipped', detail: 'no trading task running' };
    if (ctx.trading.unreachableBecause)
      throw new StepFailure(
        `${tasks.length} task(s) running, but ${ctx.trading.unreachableBecause}`,
      );
    const r = await onEveryTask(
      tasks,
      (t) => retry(() => ctx.trading.haltAlgo(t.url, who, algoId), { sleep: ctx.sleep }),
      (t, v) =>
        `${t.taskId}: algo ${algoId} (${v.strategies.join(', ')}) halted, ${v.cancelled.length} working entries cancelled${v.stored ? '' : ' (not yet stored by the task)'}`,
    );
    for (const v of r.values) {
      cancelled.push(...(v.value?.cancelled ?? []));
      if (v.value?.stored) stored = true;
    }
    if (!r.ok) throw new StepFailure(`not every task halted the algo: ${r.lines.join('; ')}`);
    return r.lines.join('; ');
  });
  return { wasHalted, cancelled, stored };
}

/** The strategies running under `algoId`, as the first task that answers names them. */
export async function strategiesOfAlgo(
  ctx: OpsContext,
  tasks: readonly TaskEndpoint[],
  algoId: string,
): Promise<string[]> {
  for (const t of tasks) {
    const state = await ctx.trading.state(t.url).catch(() => undefined);
    if (state?.algos)
      return state.algos.filter((a) => a.algoId === algoId).map((a) => a.strategyId);
  }
  throw new StepFailure(`no task answered with its algos (is ${algoId} configured?)`);
}
