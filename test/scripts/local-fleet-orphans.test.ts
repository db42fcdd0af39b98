import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/local/free-port';
import { spawnEntry } from '../support/processes';
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
    const taskPort = await freePort();
    const host = spawnEntry(
      'test/fixtures/fleet-host.ts',
      { TASK_PORT: String(taskPort), MARKER_FILE: marker, LOG_DIR: dir },
      taskPort,
    );
    let taskPid = 0;
    try {
      await eventually(
        async () => {
          taskPid = Number(/TASK_PID (\d+)/.exec(host.output())?.[1] ?? 0);
          return taskPid > 0;
        },
        60_000,
        'the fixture task healthy',
      );

      // Act: the fleet's process dies without a chance to stop anything.
      host.proc.kill('SIGKILL');

      // Assert: the task stopped, through its SIGTERM handler.
      await eventually(async () => !alive(taskPid), 30_000, 'the orphaned task gone');
      expect(existsSync(marker)).toBe(true);
      expect(readFileSync(marker, 'utf8')).toBe(`stopped on SIGTERM, pid ${taskPid}\n`);
    } finally {
      host.proc.kill('SIGKILL');
      if (taskPid > 0 && alive(taskPid)) process.kill(taskPid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
