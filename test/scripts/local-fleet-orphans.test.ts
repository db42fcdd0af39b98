import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/local/free-port';
import { PROJECT_ROOT } from '../../scripts/local/paths';
import { eventually } from '../trading/harness';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the local fleet’s tasks when the fleet’s process dies', () => {
  it('stop as on SIGTERM once the process that started them is SIGKILLed', async () => {
    // Arrange: a process running a fleet of one task, healthy.
    const dir = mkdtempSync(path.join(tmpdir(), 'fleet-'));
    const marker = path.join(dir, 'stopped');
    const host = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(PROJECT_ROOT, 'test/fixtures/fleet-host.ts')],
      {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          TASK_PORT: String(await freePort()),
          MARKER_FILE: marker,
          LOG_DIR: dir,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    host.stdout.on('data', (chunk) => {
      out += chunk.toString();
    });
    let taskPid = 0;
    try {
      await eventually(
        async () => {
          taskPid = Number(/TASK_PID (\d+)/.exec(out)?.[1] ?? 0);
          return taskPid > 0;
        },
        60_000,
        'the fixture task healthy',
      );

      // Act: the fleet's process dies without a chance to stop anything.
      host.kill('SIGKILL');

      // Assert: the task stopped, through its SIGTERM handler.
      await eventually(async () => !alive(taskPid), 30_000, 'the orphaned task gone');
      expect(existsSync(marker)).toBe(true);
      expect(readFileSync(marker, 'utf8')).toBe(`stopped on SIGTERM, pid ${taskPid}\n`);
    } finally {
      host.kill('SIGKILL');
      if (taskPid > 0 && alive(taskPid)) process.kill(taskPid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
