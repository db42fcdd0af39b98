import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { LIVE_CONFIRMATION } from '../../../contract/names';
import { messageOf } from '../../common/errors';
import { createLogger } from '../../common/logger';
import { composeTradingService } from './compose';
import { loadTradingConfig, type TradingEnv } from './config';

/**
 * LIVE needs the stage setting, a live broker (BROKER=kite; the environment schema refuses LIVE
 * with the paper broker) and the typed confirmation (from the terminal when started by hand, from
 * LIVE_CONFIRMATION when started by ECS or by the local stack for its own Kite simulator).
 */
export async function assertModeAllowed(
  env: TradingEnv,
  stdin: NodeJS.ReadStream = process.stdin,
): Promise<void> {
  if (env.MODE !== 'LIVE') return;
  let typed = env.LIVE_CONFIRMATION;
  if (typed === undefined && stdin.isTTY) {
    const rl = createInterface({ input: stdin, output: process.stderr });
    typed = await rl.question(
      `LIVE mode places real orders. Type "${LIVE_CONFIRMATION}" to continue: `,
    );
    rl.close();
  }
  if (typed?.trim() !== LIVE_CONFIRMATION) {
    throw new Error(
      `MODE=LIVE needs the confirmation "${LIVE_CONFIRMATION}" (typed, or in LIVE_CONFIRMATION)`,
    );
  }
  if (env.BROKER === 'paper')
    throw new Error(
      'MODE=LIVE needs a live broker (BROKER=kite): the paper broker trades nothing real',
    );
}

/** The ECS task id (the end of the task ARN), so that logs and audit rows match `aws ecs list-tasks`. */
async function resolveTaskId(env: TradingEnv): Promise<string> {
  if (env.TASK_ID) return env.TASK_ID;
  if (env.ECS_CONTAINER_METADATA_URI_V4) {
    try {
      const res = await fetch(`${env.ECS_CONTAINER_METADATA_URI_V4}/task`, {
        signal: AbortSignal.timeout(2000),
      });
      const { TaskARN } = (await res.json()) as { TaskARN?: string };
      if (TaskARN) return TaskARN.split('/').at(-1) ?? TaskARN;
    } catch {
      // fall back below
    }
  }
  return `${hostname()}-${process.pid}`;
}

async function main(): Promise<void> {
  const config = loadTradingConfig(process.env);
  const { env } = config;
  const taskId = await resolveTaskId(env);
  const log = createLogger('trading', env.LOG_LEVEL, {
    stage: env.STAGE,
    taskId: taskId,
    mode: env.MODE,
  });
  // A bug in a background path must not take the control API (and the kill switch) down with it:
  // log it at ERROR, which the error alarms and the ERROR scans pick up.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  await assertModeAllowed(env);

  const { service, app, close } = await composeTradingService(config, { taskId, log });

  let exiting = false;
  const shutdown = async (signal: string) => {
    if (exiting) return;
    exiting = true;
    // ECS sends SIGKILL at the stop timeout (120 s): finish before it, whatever happens.
    const deadline = setTimeout(() => {
      log.error({ signal }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, env.SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    log.warn({ signal }, 'stopping: halting and cancelling working orders');
    try {
      await service.stop(`${signal} received`);
      await close();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await service.start();
  await app.listen({ host: env.HOST, port: env.PORT });
  log.info({ port: env.PORT, mode: env.MODE, stage: env.STAGE }, 'trading service listening');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(messageOf(error));
    process.exit(1);
  });
}
