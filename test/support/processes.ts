import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const PROJECT_ROOT = path.join(__dirname, '../..');

export interface ServiceProcess {
  readonly proc: ChildProcess;
  readonly baseUrl: string;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code (null if killed by a signal) and the signal. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts an entry point as its own Node process, as ECS or `npm start` would: TypeScript through
 * tsx, or (tsx: false) a built JavaScript bundle.
 */
export function spawnEntry(
  entry: string,
  env: Record<string, string>,
  port: number,
  options: { tsx?: boolean; cwd?: string } = {},
): ServiceProcess {
  const args = options.tsx === false ? [entry] : ['--import', 'tsx', entry];
  const proc = spawn(process.execPath, args, {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, ...env, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (chunk) => {
    out += chunk.toString();
  });
  proc.stderr?.on('data', (chunk) => {
    out += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, baseUrl: `http://127.0.0.1:${port}`, output: () => out, exited: () => exit };
}

/** Polls `url` until it answers 2xx, or throws with the process output. */
export async function waitForHttp(
  service: ServiceProcess,
  urlPath: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.proc.exitCode !== null)
      throw new Error(`process exited early:\n${service.output()}`);
    try {
      const res = await fetch(`${service.baseUrl}${urlPath}`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${urlPath} did not answer within ${timeoutMs} ms:\n${service.output()}`);
}
