import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * A strategies file per task, each with one strategy of its own (`<prefix>-<i>`), for benches
 * whose tasks must all trade: with one shared file the first task up takes every lease and the
 * others stand by, HALTED for want of one (leases fail over, they do not balance).
 */
export async function strategyPerTask(
  tasks: number,
  prefix: string,
): Promise<{ taskEnv: (i: number) => Record<string, string>; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `bench-${prefix}-`));
  const files = await Promise.all(
    Array.from({ length: tasks }, async (_, i) => {
      const file = path.join(dir, `strategies-${i}.json`);
      const strategy = {
        id: `${prefix}-${i}`,
        kind: 'MA_CROSSOVER',
        enabled: true,
        symbols: ['INFY'],
        fast: 5,
        slow: 20,
        stopPct: 1,
        riskFraction: 0.5,
      };
      await writeFile(file, JSON.stringify([strategy]));
      return file;
    }),
  );
  return {
    taskEnv: (i) => ({ STRATEGIES_FILE: files[i] as string }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
