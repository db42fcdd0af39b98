import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import { NO_FLATTEN_REQUEST } from '../../contract/flatten-request';
import { operatorNames } from '../../contract/names';
import { SCHEDULED_PROCEDURE_NAMES } from '../../contract/scheduled-procedures';
import { DEFAULT_SCHEDULES } from '../../contract/stage';
import { TRADING_NODE_OPTIONS } from '../../contract/trading-runtime';
import { booleanText, parseOrThrow } from '../../contract/validation';
import { withStandaloneClient } from '../../services/common/db/client';
import { migrate } from '../../services/common/db/migrate';
import { createPool } from '../../services/common/db/pool';
import { messageOf } from '../../services/common/errors';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import { sleep } from '../../services/common/retry';
import { LocalTokenAuth } from '../../services/dashboard/src/auth';
import { localControl } from '../../services/dashboard/src/control';
import { buildDashboardServer } from '../../services/dashboard/src/server';
import { localOpsContext } from '../../services/ops/platform/local/local-context';
import { buildFleetServer } from './fleet-server';
import { startLocalAngelOne } from './local-angelone';
import { LocalFleet, type LocalServiceSpec } from './local-fleet';
import { brokerArgument, type LocalKite, startLocalKite } from './local-kite';
import type { LocalBroker } from './local-login';
import { describeNextRuns, LocalScheduler } from './local-scheduler';
import { startLocalUpstox } from './local-upstox';
import { localDir, localPostgresDataDir } from './paths';
import { type LocalPostgres, startLocalPostgres } from './postgres';
import { removeStackInfo, writeStackInfo } from './stack-info';

const BROKER_LABELS = { kite: 'Kite', upstox: 'Upstox', angelone: 'Angel One' } as const;

/** Ports of the local stack; each can be overridden by its environment variable. */
const port = (fallback: number) => z.coerce.number().int().min(1024).max(65_535).default(fallback);
/** Ports are overridable so that tests and a second checkout can run beside a running stack. */
const LocalEnvSchema = z.object({
  LOCAL_PG_PORT: port(54320),
  LOCAL_TRADING_PORT: port(8000),
  LOCAL_FLEET_PORT: port(8500),
  LOCAL_DASHBOARD_PORT: port(3000),
  /** The Kite simulator's port with `--broker kite`; 0 picks a free one. */
  LOCAL_KITE_PORT: z.coerce.number().int().min(0).max(65_535).default(8600),
  /** The Upstox simulator's port with `--broker upstox`; 0 picks a free one. */
  LOCAL_UPSTOX_PORT: z.coerce.number().int().min(0).max(65_535).default(8610),
  /** The Angel One simulator's port with `--broker angelone`; 0 picks a free one. */
  LOCAL_ANGELONE_PORT: z.coerce.number().int().min(0).max(65_535).default(8620),
  LOCAL_CONTROL_TOKEN: z.string().min(16).optional(),
  LOCAL_DASHBOARD_TOKEN: z.string().min(16).optional(),
  /**
   * The flag's first value in a new state directory: "false" unless this says `true`, for the
   * tests and benches that trade at once. A deployed stage's flag is created "false" too.
   */
  LOCAL_TRADING_ENABLED: booleanText.optional(),
  /** The broker tokens the checks require, as the stage config's `trading.brokerTokens`. */
  LOCAL_BROKER_TOKENS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [],
    ),
});
const env = parseOrThrow(LocalEnvSchema, process.env, 'local stack environment');
const PORTS = {
  postgres: env.LOCAL_PG_PORT,
  trading: env.LOCAL_TRADING_PORT,
  fleet: env.LOCAL_FLEET_PORT,
  dashboard: env.LOCAL_DASHBOARD_PORT,
};
const DATABASE = 'algotrading';
const names = operatorNames('local');

async function ensureDatabase(pg: LocalPostgres): Promise<void> {
  // A connection with an error listener: a server that goes away mid-check fails the start
  // with a message instead of an unhandled 'error' event.
  const exists = await withStandaloneClient(
    pg.url('postgres'),
    'the database check',
    async (client) =>
      (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE])).rowCount,
  );
  if (exists === 0) await pg.createDatabase(DATABASE);
}

/**
 * First start only: the flag "false", as CloudFormation creates it in AWS (nothing trades until
 * an operator resumes after a READY check), unless LOCAL_TRADING_ENABLED=true; no flatten
 * request. Later starts keep whatever an operator set.
 */
async function seedParameters(store: LocalParameterStore): Promise<string> {
  const { found, missing } = await store.getParameters([
    names.flagParameter,
    names.flattenRequestParameter,
  ]);
  if (missing.includes(names.flattenRequestParameter)) {
    await store.putParameter(names.flattenRequestParameter, NO_FLATTEN_REQUEST, 'local-stack');
  }
  if (!missing.includes(names.flagParameter))
    return found.get(names.flagParameter)?.value ?? 'missing';
  const initial = env.LOCAL_TRADING_ENABLED ? 'true' : 'false';
  await store.putParameter(names.flagParameter, initial, 'local-stack');
  return initial;
}

/** The local stack: everything on one machine, no AWS account, no Docker. */
async function main(): Promise<void> {
  const dir = localDir();
  const logDir = path.join(dir, 'logs');
  const objectStoreDir = path.join(dir, 'objects');
  await Promise.all([
    mkdir(logDir, { recursive: true }),
    mkdir(objectStoreDir, { recursive: true }),
  ]);
  const controlToken = env.LOCAL_CONTROL_TOKEN ?? randomBytes(24).toString('base64url');
  const dashboardToken = env.LOCAL_DASHBOARD_TOKEN ?? randomBytes(24).toString('base64url');

  const dataDir = localPostgresDataDir();
  console.log(`Starting PostgreSQL 17 (data in ${dataDir}, port ${PORTS.postgres})...`);
  const pg = await startLocalPostgres({ dataDir, port: PORTS.postgres, persistent: true });
  await ensureDatabase(pg);
  const databaseUrl = pg.url(DATABASE);
  // createPool listens for idle connection errors; migrate checks its client out withClient.
  const pool = await createPool({ url: databaseUrl }, { max: 2, applicationName: 'local-start' });
  const { applied } = await migrate(pool).finally(() => pool.end());

  const broker = brokerArgument(process.argv.slice(2));
  const tokenNames = env.LOCAL_BROKER_TOKENS.length > 0 ? env.LOCAL_BROKER_TOKENS : undefined;
  let kite: LocalKite | undefined;
  let live: LocalBroker<{ stop(): Promise<void> }> | undefined;
  if (broker !== 'paper') {
    console.log(`Starting the ${BROKER_LABELS[broker]} simulator and logging in...`);
    if (broker === 'kite') live = kite = await startLocalKite(dir, env.LOCAL_KITE_PORT);
    if (broker === 'upstox') live = await startLocalUpstox(dir, env.LOCAL_UPSTOX_PORT, tokenNames);
    if (broker === 'angelone')
      live = await startLocalAngelOne(dir, env.LOCAL_ANGELONE_PORT, tokenNames);
  }

  const parameterFile = path.join(dir, 'parameters.json');
  const flag = await seedParameters(new LocalParameterStore(parameterFile));

  const trading: LocalServiceSpec = {
    // Named as in ECS, so the procedures find it by the same name on every stage.
    name: names.tradingService,
    entry: 'services/trading/src/main.ts',
    basePort: PORTS.trading,
    desiredCount: 1,
    healthPath: '/health',
    stopTimeoutMs: 120_000,
    env: (taskId, port) => ({
      STAGE: 'local',
      NODE_OPTIONS: TRADING_NODE_OPTIONS,
      TASK_ID: taskId,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      LOCAL_PARAMETER_FILE: parameterFile,
      // Each task keeps its outage journal and audit spool in <dir>/journal/<task id>.
      JOURNAL_DIR: path.join(dir, 'journal'),
      CONTROL_TOKEN: controlToken,
      // The notifier the procedures use locally (local-context.ts): pages land beside theirs.
      LOCAL_NOTIFICATIONS_FILE: path.join(dir, 'notifications.jsonl'),
      SESSION_CLOCK: 'simulated',
      SESSION_SPEED: process.env.LOCAL_SESSION_SPEED ?? '10',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      ...live?.taskEnv,
    }),
  };
  const fleet = new LocalFleet([trading], logDir, (service, message) => {
    if (/exited unexpectedly|SIGKILL/.test(message)) console.log(`[fleet] ${service}: ${message}`);
  });
  fleet.start();
  const fleetServer = buildFleetServer(fleet, controlToken);
  await fleetServer.listen({ host: '127.0.0.1', port: PORTS.fleet });
  const fleetUrl = `http://127.0.0.1:${PORTS.fleet}`;
  const tradingUrl = `http://127.0.0.1:${PORTS.trading}`;
  const dashboardUrl = `http://127.0.0.1:${PORTS.dashboard}`;
  const endpoints = {
    databaseUrl,
    controlToken,
    parameterFile,
    objectStoreDir,
    logDir,
    fleetUrl,
    brokerTokens: live ? live.logins.map((l) => l.name) : env.LOCAL_BROKER_TOKENS,
    broker,
    ...(live && broker !== 'paper' ? { [broker]: live.endpoints } : {}),
  };

  // The dashboard, in process: the same procedures as the CLI, behind the printed token.
  const dashboardContext = localOpsContext(endpoints, 'dashboard');
  const dashboard = buildDashboardServer({
    ctx: dashboardContext,
    control: localControl(dashboardContext),
    auth: new LocalTokenAuth(dashboardToken, `${userInfo().username}@local`),
  });
  await dashboard.listen({ host: '127.0.0.1', port: PORTS.dashboard });

  await writeStackInfo({
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ...endpoints,
    tradingUrl,
    dashboardUrl,
    dashboardToken,
    kite: kite && {
      ...kite.endpoints,
      loginUrl: kite.simulator.loginUrl,
      tickerRoot: kite.simulator.tickerRoot,
    },
  });

  // The Ops stack's schedules, locally: the same IST times; `--now` also runs each once at start.
  const opsContext = localOpsContext(endpoints, 'scheduler');
  const scheduler = new LocalScheduler(opsContext, DEFAULT_SCHEDULES, (line) => console.log(line));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(
      `\n${signal}: stopping the local stack (trading halts and cancels its working orders first)...`,
    );
    scheduler.stop();
    await dashboard.close();
    await Promise.all([opsContext.pool.end(), dashboardContext.pool.end()]);
    await fleet.stopAll();
    await fleetServer.close();
    await live?.simulator.stop();
    await pg.stop();
    await removeStackInfo();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const deadline = Date.now() + 120_000;
  while (fleet.describe(names.tradingService).runningCount < 1) {
    if (Date.now() > deadline)
      throw new Error(
        `the trading service did not become healthy; see ${logDir}/${names.tradingService}.log`,
      );
    await sleep(200);
  }

  const nextRuns = scheduler.start();
  if (process.argv.includes('--now')) {
    console.log('Running every scheduled procedure once now (--now)...');
    for (const name of SCHEDULED_PROCEDURE_NAMES) await scheduler.run(name, { force: true });
  }

  console.log(`
Local stack is up (${
    live && broker !== 'paper'
      ? `LIVE mode on ${BROKER_LABELS[broker]}: the simulator at ${live.endpoints.apiRoot}, ${live.logins.map((l) => `token ${l.name} of ${l.userId} until ${l.expiresAt}`).join(', ')}`
      : 'PAPER mode'
  }, simulated NSE session at ${trading.env('', 0).SESSION_SPEED}x, flag "${flag}").
  Dashboard         ${dashboardUrl}/login?token=${dashboardToken}
  Trading service   ${tradingUrl}/state   (also /positions, /orders, /metrics, /api/health/feeds)
  Local fleet       ${fleetUrl}/services
  PostgreSQL        ${databaseUrl}   (migrations applied now: ${applied.length ? applied.join(', ') : 'none'})
  Kill flag         ${parameterFile}   (npx tradeops flag get local)
  Logs              ${logDir}
  Control token     ${controlToken}

${
  flag === 'true'
    ? 'Trading is ENABLED (flag "true"). Halt it: npx tradeops flag set local false --reason drill --yes'
    : `Trading is HALTED (flag ${JSON.stringify(flag)}): nothing trades until an operator resumes, as in AWS.
Enable it (runs the readiness check, then sets the flag "true"):
  npx tradeops resume local --reason 'start paper trading' --yes`
}

Try:
  curl -s ${tradingUrl}/state
  curl -s -X POST ${tradingUrl}/pause -H 'authorization: Bearer ${controlToken}' \\
       -H 'content-type: application/json' -d '{"requestedBy":"me","reason":"trying it"}'

Scheduled procedures (IST; holidays are skipped; reports in ${objectStoreDir}/reports):
${describeNextRuns(nextRuns)}

Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  console.error(messageOf(error));
  process.exit(1);
});
