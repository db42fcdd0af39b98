import type { ServiceProcess } from '../support/processes';
import { tradingTasksEach } from '../support/trading-tasks';
import { eventually } from '../trading/harness';

const ALL = ['ma-cross', 'manual', 'orb-15'];

interface StateView {
  state: string;
  cause: string;
  strategies: { held: string[] };
}

describe('trading task lost (SIGKILL)', () => {
  const tasks = tradingTasksEach();
  const start = (taskId: string) => tasks.start(taskId);

  const state = async (p: ServiceProcess) =>
    (await (await fetch(`${p.baseUrl}/state`)).json()) as StateView;

  it('says HALTED while it holds no strategy, and takes a killed task over within 3 s, under one owner', async () => {
    // Arrange: a holds everything, b is the replacement
    const a = await start('task-a');
    await eventually(
      async () => (await state(a)).strategies.held.length === 3,
      10_000,
      'a holds all',
    );
    const b = await start('task-b');
    const idle = await state(b);
    expect(idle.strategies.held).toEqual([]);
    expect(idle.state).toBe('HALTED');
    expect(idle.cause).toMatch(/holds no strategy lease/);

    // Act
    const killedAt = Date.now();
    a.proc.kill('SIGKILL');
    await a.exited();
    const view = await eventually(
      async () => {
        const v = await state(b);
        return v.strategies.held.length === 3 ? v : undefined;
      },
      10_000,
      'b holds all',
    );
    const takeoverMs = Date.now() - killedAt;

    // Assert
    expect([...view.strategies.held].sort()).toEqual(ALL);
    expect(view.state).toBe('ACTIVE');
    // 3 s is the target; the margin is for the poll of this test on a busy machine.
    expect(takeoverMs).toBeLessThanOrEqual(3500);
    const { rows } = await tasks.db.pool.query<{ holder: string; fence_token: string }>(
      'SELECT holder, fence_token FROM strategy_leases ORDER BY strategy_id',
    );
    expect(rows.map((r) => r.holder)).toEqual(['task-b', 'task-b', 'task-b']);
    // Every strategy changed hands once: a's token was 1, b's is 2.
    expect(rows.map((r) => Number(r.fence_token))).toEqual([2, 2, 2]);
  }, 60_000);
});
