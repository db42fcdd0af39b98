import type { TaskState } from '../../../contract/trading-api';
import { messageOf } from '../../common/errors';
import type { ParameterValue } from '../../common/parameters/parameter-store';
import type { OpsContext, ServiceDescription } from '../platform/ports';
import { tradingTasks } from './common';

export interface StatusReport {
  readonly stage: string;
  readonly at: string;
  readonly flag: ParameterValue | { readonly missing: true; readonly error?: string };
  readonly service: ServiceDescription | { readonly error: string };
  readonly tasks: ReadonlyArray<{
    readonly taskId: string;
    readonly url: string;
    readonly state?: TaskState;
    readonly error?: string;
  }>;
}

/** Everything `tradeops status` shows: the flag (and who set it), the service, every task's state. */
export async function status(ctx: OpsContext): Promise<StatusReport> {
  const [flag, service, tasks] = await Promise.all([
    ctx.parameters
      .history(ctx.names.flagParameter, 1)
      .then((h) => h[0] ?? { missing: true as const })
      .catch((e: Error) => ({ missing: true as const, error: e.message })),
    ctx.fleet.describe(ctx.names.tradingService).catch((e: Error) => ({ error: e.message })),
    tradingTasks(ctx).catch(() => []),
  ]);
  const states = await Promise.all(
    tasks.map(async (t) => {
      try {
        return { taskId: t.taskId, url: t.url, state: await ctx.trading.state(t.url) };
      } catch (error) {
        return {
          taskId: t.taskId,
          url: t.url,
          error: messageOf(error),
        };
      }
    }),
  );
  return { stage: ctx.stage, at: new Date(ctx.now()).toISOString(), flag, service, tasks: states };
}
