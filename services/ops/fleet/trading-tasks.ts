import type { ReconciliationView } from '../../../contract/trading-api';
import { messageOf } from '../../common/errors';
import type { OpsContext, TaskEndpoint } from '../platform/ports';

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

/** What keeps a task's view from matching the broker's; empty when reconciled. */
export function reconciliationProblems(r: ReconciliationView): string[] {
  if (r.ok) return [];
  return [
    ...r.mismatches.map((m) => `${m.position}: ours ${m.ours}, broker ${m.broker}`),
    ...r.uncertainOrders.map((o) => `order ${o} not acknowledged`),
  ];
}
