import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { operatorNames } from '../../contract/names';
import type { RiskLimitsInput } from '../../contract/risk-limits';
import { TRADING_NODE_OPTIONS } from '../../contract/trading-runtime';
import { freePort } from '../../scripts/local/free-port';
import { type LocalPostgres, startLocalPostgres } from '../../scripts/local/postgres';
import { migrate } from '../../services/common/db/migrate';
import { createPool } from '../../services/common/db/pool';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import { sleep } from '../../services/common/retry';

export const BENCH_TOKEN = 'bench-control-token-0123456789';
export const names = operatorNames('local');

export interface BenchStack {
  readonly urls: readonly string[];
  /** Process ids of the services, in the order of `urls` (their CPU is read from /proc). */
  readonly pids: readonly number[];
  readonly store: LocalParameterStore;
  readonly pg: LocalPostgres;
  readonly databaseUrl: string;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  readonly tasks: number;
  /** Limits given to the services as BENCH_LIMITS (may exceed the schema's caps). */
  readonly limits?: RiskLimitsInput;
  readonly env?: Record<string, string>;
  /** Environment of the i-th task only (0-based), over `env`. */
  readonly taskEnv?: (index: number) => Record<string, string>;
  /** Extra node flags for the services, e.g. ['--cpu-prof'] to profile one. */
  readonly nodeArgs?: readonly string[];
}

/**
 * A real PostgreSQL 17 (fsync on: durability is part of what is measured), migrated, a local
 * parameter store with the flag on, and `tasks` trading service processes.
 */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-'));
  // As root, PostgreSQL runs as `postgres`, which must be able to reach the data directory.
  await chmod(dir, 0o755);
  const pg = await startLocalPostgres({ dataDir: path.join(dir, 'pg'), persistent: false });
  await pg.createDatabase('bench');
  const databaseUrl = pg.url('bench');
  const pool = await createPool({ url: databaseUrl }, { max: 1, applicationName: 'bench-stack' });
  await migrate(pool);
  await pool.end();
  const parameterFile = path.join(dir, 'parameters.json');
  const store = new LocalParameterStore(parameterFile);
  await store.putParameter(names.flagParameter, 'true', 'bench');

  const procs: ChildProcess[] = [];
  const urls: string[] = [];
  for (let i = 0; i < options.tasks; i += 1) {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [
        ...(options.nodeArgs ?? []),
        '--import',
        'tsx',
        path.join(__dirname, 'bench-trading-server.ts'),
      ],
      {
        env: {
          ...process.env,
          STAGE: 'local',
          NODE_OPTIONS: TRADING_NODE_OPTIONS,
          TASK_ID: `bench-task-${i + 1}`,
          PORT: String(port),
          DATABASE_URL: databaseUrl,
          LOCAL_PARAMETER_FILE: parameterFile,
          CONTROL_TOKEN: BENCH_TOKEN,
          SESSION_CLOCK: 'simulated',
          LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
          ...(options.limits ? { BENCH_LIMITS: JSON.stringify(options.limits) } : {}),
          ...options.env,
          ...options.taskEnv?.(i),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    procs.push(proc);
    urls.push(`http://127.0.0.1:${port}`);
  }
  const stop = async () => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
          }),
      ),
    );
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const url of urls) await waitReady(url);
  } catch (error) {
    // A service that never came up must not leave its siblings and PostgreSQL running.
    await stop();
    throw error;
  }
  return {
    urls,
    pids: procs.map((p) => p.pid ?? 0),
    store,
    pg,
    databaseUrl,
    stop,
  };
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/ready`)).ok) return;
    } catch {
      // starting
    }
    await sleep(100);
  }
  throw new Error(`${url} did not become ready`);
}

export async function state(url: string): Promise<string> {
  return ((await (await fetch(`${url}/state`)).json()) as { state: string }).state;
}

export { sleep };
