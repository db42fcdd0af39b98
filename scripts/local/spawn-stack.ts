import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sleep } from '../../services/common/retry';
import { freePortBlock } from './free-port';
import { PROJECT_ROOT } from './paths';
import { type LocalStackInfo, LocalStackInfoSchema } from './stack-info';

export interface SpawnedLocalStack {
  readonly dir: string;
  readonly info: LocalStackInfo;
  /** The environment a `tradeops ... local` process needs to find this stack. */
  readonly env: Readonly<Record<string, string>>;
  output(): string;
  /** Runs `tradeops <args>` as its own process against this stack. */
  tradeops(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /**
   * Ctrl-C, as an operator would; resolves with the exit code and whether the stack left its
   * stack.json behind (a clean stop removes it). Then removes the state directory.
   */
  stop(): Promise<{ code: number | null; leftStackInfo: boolean }>;
}

/**
 * Runs `npm start`'s entry point in a fresh state directory on free ports, beside any stack
 * already running: for the integration tests and the benches.
 */
export async function spawnLocalStack(
  extraEnv: Record<string, string> = {},
  timeoutMs = 90_000,
  args: readonly string[] = [],
): Promise<SpawnedLocalStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'local-stack-'));
  // As root, PostgreSQL runs as `postgres` and must reach its data directory.
  chmodSync(dir, 0o755);
  const env = { LOCAL_STACK_DIR: dir };
  // One block: PostgreSQL, the fleet, the dashboard, then the trading tasks counting up (a
  // rollout or a take-over runs a few at once).
  const base = await freePortBlock(8);
  const proc = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/start.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...env,
      LOCAL_PG_PORT: String(base),
      LOCAL_FLEET_PORT: String(base + 1),
      LOCAL_DASHBOARD_PORT: String(base + 2),
      LOCAL_TRADING_PORT: String(base + 3),
      LOCAL_KITE_PORT: '0',
      LOCAL_UPSTOX_PORT: '0',
      LOCAL_ANGELONE_PORT: '0',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (chunk) => {
    out += chunk.toString();
  });
  proc.stderr.on('data', (chunk) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

  const deadline = Date.now() + timeoutMs;
  while (!out.includes('Local stack is up')) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`the local stack did not come up:\n${out}`);
    }
    await sleep(50);
  }
  const info = LocalStackInfoSchema.parse(
    JSON.parse(readFileSync(path.join(dir, 'stack.json'), 'utf8')),
  );
  return {
    dir,
    info,
    env,
    output: () => out,
    tradeops: (...args) =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [path.join(PROJECT_ROOT, 'scripts/tradeops.cjs'), ...args],
          { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
          (error, stdout, stderr) => {
            // execFile's error carries the exit code as `code` (a number) when the process ran.
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      }),
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGINT');
      const code = await exited;
      const leftStackInfo = existsSync(path.join(dir, 'stack.json'));
      rmSync(dir, { recursive: true, force: true });
      return { code, leftStackInfo };
    },
  };
}
