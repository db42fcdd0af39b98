import { report, summarize } from './support';
import { BENCH_TOKEN, names, sleep, startBenchStack, state } from './support/bench-stack';
import { strategyPerTask } from './support/strategy-per-task';

// From the moment the kill flag becomes "false" to the moment every task refuses new entries.
// Two task processes, the production poll interval (1 s, jittered) and staleness bound (5 s).
// A task refuses an entry exactly when its state is not ACTIVE (the risk check reads the same
// state /state reports), so each task's /state is polled every 2 ms.
// Targets: polling p99 <= 2 s; push (POST /control/halt to every task) p99 <= 0.3 s.
const RUNS = 20;

async function untilAll(
  urls: readonly string[],
  wanted: (s: string) => boolean,
  t0: number,
): Promise<number> {
  const done = new Map<string, number>();
  while (done.size < urls.length) {
    await Promise.all(
      urls.map(async (u) => {
        if (!done.has(u) && wanted(await state(u))) done.set(u, performance.now() - t0);
      }),
    );
    if (done.size < urls.length) await sleep(2);
  }
  return Math.max(...done.values());
}

async function main() {
  // A strategy per task: both trade, so both must halt (one standing by is HALTED already).
  const strategies = await strategyPerTask(2, 'flip');
  const stack = await startBenchStack({ tasks: 2, taskEnv: strategies.taskEnv });
  const { urls, store } = stack;
  const polling: number[] = [];
  const push: number[] = [];
  try {
    for (let run = 0; run < RUNS; run += 1) {
      await store.putParameter(names.flagParameter, 'true', 'bench');
      await untilAll(urls, (s) => s === 'ACTIVE', performance.now());
      // Flip at a random moment of the poll cycle.
      await sleep(Math.random() * 1000);
      const t0 = performance.now();
      await store.putParameter(names.flagParameter, 'false', 'bench');
      polling.push(await untilAll(urls, (s) => s !== 'ACTIVE', t0));
    }
    for (let run = 0; run < RUNS; run += 1) {
      // A newer "true" lifts the previous push halt.
      await store.putParameter(names.flagParameter, 'true', 'bench');
      await untilAll(urls, (s) => s === 'ACTIVE', performance.now());
      await sleep(Math.random() * 1000);
      const t0 = performance.now();
      await Promise.all(
        urls.map((u) =>
          fetch(`${u}/control/halt`, {
            method: 'POST',
            headers: { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify({ requestedBy: 'bench', reason: 'push halt timing' }),
          }),
        ),
      );
      push.push(await untilAll(urls, (s) => s !== 'ACTIVE', t0));
    }
  } finally {
    await stack.stop();
    await strategies.remove();
  }
  const p = summarize(polling.map((ms) => ms / 1000));
  const q = summarize(push.map((ms) => ms / 1000));
  report('flag false -> both tasks halted (polling)', p, 's', { p99Max: 2 });
  report('POST /control/halt -> both tasks halted (push)', q, 's', { p99Max: 0.3 });
  process.exitCode = p.p99 <= 2 && q.p99 <= 0.3 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
