import { readAlgoHalts } from '../../common/db/algo-halts';
import { messageOf } from '../../common/errors';
import { tradingTasks } from '../fleet/trading-tasks';
import type { OpsContext } from '../platform/ports';

export interface IncidentBundleRequest {
  readonly id: string;
  readonly reason: string;
  readonly requestedBy: string;
  /** The exchange algo ID the incident is about (a kill of one algo); absent: the whole desk. */
  readonly algoId?: string;
  /** Logs from this far back. @default 15 min */
  readonly logWindowMs?: number;
}

export interface IncidentBundleResult {
  readonly prefix: string;
  readonly files: readonly string[];
  /** Parts that could not be gathered, with why: the bundle is written anyway. */
  readonly missing: readonly string[];
}

/**
 * What on-call needs after a kill, in one place: positions, working orders, task states, the
 * flag's history, the halted algos, the services and their task definitions, alarms in ALARM and
 * recent logs, to `incidents/<id>/`. Orders and task states carry their algo IDs. Each part is gathered on its own; a part that fails is named, not fatal.
 */
export async function incidentBundle(
  ctx: OpsContext,
  request: IncidentBundleRequest,
): Promise<IncidentBundleResult> {
  const prefix = `incidents/${request.id}/`;
  const missing: string[] = [];
  const files: string[] = [];
  const gather = async (name: string, fn: () => Promise<unknown>) => {
    try {
      const value = await fn();
      await ctx.objects.put(
        `${prefix}${name}.json`,
        JSON.stringify(value, null, 2),
        'application/json',
      );
      files.push(`${prefix}${name}.json`);
    } catch (error) {
      missing.push(`${name}: ${messageOf(error)}`);
    }
  };
  const tasks = await tradingTasks(ctx).catch(() => []);

  await gather('tasks', async () =>
    Promise.all(
      tasks.map(async (t) => ({
        ...t,
        state: await ctx.trading.state(t.url).catch((e: Error) => ({ error: e.message })),
      })),
    ),
  );
  await gather('positions', async () => {
    const first = tasks[0];
    if (!first) throw new Error('no trading task running to ask');
    return ctx.trading.positions(first.url);
  });
  await gather('working-orders', async () =>
    Promise.all(
      tasks.map(async (t) => ({
        taskId: t.taskId,
        orders: await ctx.trading.workingOrders(t.url),
      })),
    ),
  );
  await gather('flag-history', async () => ({
    flag: await ctx.parameters.history(ctx.names.flagParameter, 20),
    flattenRequest: await ctx.parameters.history(ctx.names.flattenRequestParameter, 10),
  }));
  await gather('algo-halts', async () => {
    if (!ctx.db) throw new Error("no database from here (each task's algos are in tasks.json)");
    return readAlgoHalts(ctx.db);
  });
  await gather('services', async () =>
    Promise.all(
      [ctx.names.tradingService, ctx.names.dashboardService].map((s) =>
        ctx.fleet.describe(s).catch((e: Error) => ({ name: s, error: e.message })),
      ),
    ),
  );
  await gather('alarms', async () => {
    if (!ctx.alarms) throw new Error('no alarm source');
    return ctx.alarms.inAlarm();
  });
  await gather('logs', async () => {
    if (!ctx.logs) throw new Error('no log source');
    return ctx.logs.lines({
      sinceMs: ctx.now() - (request.logWindowMs ?? 15 * 60_000),
      limit: 2000,
    });
  });
  const summary = {
    id: request.id,
    stage: ctx.stage,
    reason: request.reason,
    requestedBy: request.requestedBy,
    algoId: request.algoId ?? null,
    writtenAt: new Date(ctx.now()).toISOString(),
    files,
    missing,
  };
  await ctx.objects.put(
    `${prefix}summary.json`,
    JSON.stringify(summary, null, 2),
    'application/json',
  );
  return { prefix, files: [...files, `${prefix}summary.json`], missing };
}
