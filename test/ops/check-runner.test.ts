import { type Check, runChecks, runSteps } from '../../services/ops/checks/framework';

describe('the check runner', () => {
  const slow = (name: string, ms: number): Check<unknown> => ({
    name,
    severity: 'LOW',
    run: () =>
      new Promise((resolve) => setTimeout(() => resolve({ status: 'PASS', detail: name }), ms)),
  });

  it('runs checks at once: the wall time is the slowest, not the sum', async () => {
    const started = performance.now();
    const results = await runChecks([slow('a', 150), slow('b', 150), slow('c', 150)], {}, 1000);
    const wall = performance.now() - started;
    expect(results.map((r) => r.status)).toEqual(['PASS', 'PASS', 'PASS']);
    // Well under the 450 ms sum, with room for a busy CI machine.
    expect(wall).toBeLessThan(400);
    expect(results.reduce((s, r) => s + r.durationMs, 0)).toBeGreaterThanOrEqual(440);
  });

  it('turns a check that throws or times out into a FAIL that says why, and aborts it', async () => {
    let aborted: unknown;
    const hangs: Check<unknown> = {
      name: 'hangs',
      severity: 'HIGH',
      timeoutMs: 50,
      run: (_ctx, signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
          });
        }),
    };
    const throws: Check<unknown> = {
      name: 'throws',
      severity: 'HIGH',
      run: async () => {
        throw new Error('connection reset');
      },
    };
    const results = await runChecks([hangs, throws, slow('fine', 1)], {}, 1000);
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['hangs', 'FAIL'],
      ['throws', 'FAIL'],
      ['fine', 'PASS'],
    ]);
    expect(results[0]?.detail).toMatch(/check hangs timed out after 50 ms/);
    expect(results[1]?.detail).toMatch(/connection reset/);
    expect(aborted).toBeInstanceOf(Error);
  });

  it('runs steps in order, and a failed step does not stop the next', async () => {
    const order: string[] = [];
    const step = (name: string, fail = false): Check<unknown> => ({
      name,
      severity: 'HIGH',
      run: async () => {
        order.push(name);
        if (fail) throw new Error(`${name} broke`);
        return { status: 'PASS', detail: name };
      },
    });
    const results = await runSteps([step('one'), step('two', true), step('three')], {}, 1000);
    expect(order).toEqual(['one', 'two', 'three']);
    expect(results.map((r) => r.status)).toEqual(['PASS', 'FAIL', 'PASS']);
  });
});
