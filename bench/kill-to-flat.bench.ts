import { operatorNames } from '../contract/names';
import { spawnLocalStack } from '../scripts/local/spawn-stack';
import { LocalParameterStore } from '../services/common/parameters/local-parameter-store';
import { sleep } from '../services/common/retry';
import { DEFAULT_UNIVERSE } from '../services/trading/src/universe';
import { report, summarize } from './support';

// The kill switch on the local stack (`npm start`: PostgreSQL, the fleet, one trading task), with
// five paper positions open before each kill. Three paths, each timed from the operator's action
// to the moment /positions shows every position at zero (polled every 5 ms):
//   cli:  `tradeops kill local --reason ... --yes`, a fresh process as an operator types it;
//         also the time until that command returns with everything verified.
//   ssm:  only the flag and the flatten request written (what the fallback does from outside the
//         VPC): the task notices on its next poll (1 s, jittered) and flattens itself.
// product.md sets no figure for these ("halting works in seconds"); the push path's target
// (every task refusing entries within 0.3 s) is measured by the flag-flip bench.
const RUNS = 15;
const SYMBOLS = ['INFY', 'TCS', 'RELIANCE', 'ITC', 'SBIN'];
const names = operatorNames('local');

async function main() {
  const stack = await spawnLocalStack({ LOG_LEVEL: 'error' });
  const { tradingUrl, controlToken } = stack.info;
  const store = new LocalParameterStore(stack.info.parameterFile);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${tradingUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${controlToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** Open positions (the local strategies may hold some too; a kill flattens them all). */
  const open = async (strategyId?: string) =>
    (
      (await call('GET', '/positions')).body.positions as Array<{
        strategyId: string;
        quantity: number;
      }>
    ).filter((p) => p.quantity !== 0 && (!strategyId || p.strategyId === strategyId)).length;
  const until = async (done: () => Promise<boolean>, what: string, timeoutMs = 30_000) => {
    const deadline = performance.now() + timeoutMs;
    while (!(await done())) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(5);
    }
    return performance.now();
  };

  let round = 0;
  /** Trading on again (the flag last, as resume does) and five positions open. */
  const prepare = async () => {
    // A new quantity each round: the duplicate-order guard refuses a repeat within 2 s.
    round += 1;
    await store.putParameter(names.flagParameter, 'true', 'bench');
    await until(async () => (await call('GET', '/state')).body.state === 'ACTIVE', 'ACTIVE');
    // The order-rate limit (10/s) counts the last kill's exits too.
    await sleep(1100);
    for (const symbol of SYMBOLS) {
      const price = DEFAULT_UNIVERSE.find((i) => i.symbol === symbol)?.referencePrice ?? 0;
      const { status, body } = await call('POST', '/orders', {
        symbol,
        side: 'BUY',
        type: 'MARKET',
        quantity: 2 + (round % 2),
        stopPrice: Math.round(price * 0.97),
      });
      if (status !== 201) throw new Error(`entry ${symbol} refused: ${JSON.stringify(body)}`);
    }
    await until(async () => (await open('manual')) === SYMBOLS.length, 'positions open');
  };

  const cliFlat: number[] = [];
  const cliReturned: number[] = [];
  const ssmFlat: number[] = [];
  try {
    for (let run = 0; run < RUNS; run += 1) {
      await prepare();
      const t0 = performance.now();
      const command = stack.tradeops(
        'kill',
        'local',
        '--reason',
        `bench ${run}`,
        '--yes',
        '--json',
      );
      const flatAt = await until(async () => (await open()) === 0, 'flat after the CLI kill');
      const { code, stdout, stderr } = await command;
      const returnedAt = performance.now();
      if (code !== 0) throw new Error(`tradeops kill exited ${code}: ${stdout}${stderr}`);
      cliFlat.push((flatAt - t0) / 1000);
      cliReturned.push((returnedAt - t0) / 1000);

      await prepare();
      // A random moment of the task's poll cycle.
      await sleep(Math.random() * 1000);
      const s0 = performance.now();
      await store.putParameter(names.flagParameter, 'false', 'bench');
      await store.putParameter(
        names.flattenRequestParameter,
        JSON.stringify({ id: `bench-${run}`, reason: 'bench', requester: 'bench' }),
        'bench',
      );
      ssmFlat.push(((await until(async () => (await open()) === 0, 'flat after SSM')) - s0) / 1000);
    }
  } finally {
    await stack.stop();
  }

  console.log(`local stack, 1 trading task, ${SYMBOLS.length} positions per kill, ${RUNS} runs`);
  report('kill (CLI) -> positions zero', summarize(cliFlat), 's');
  report('kill (CLI) -> command returns, verified', summarize(cliReturned), 's');
  report('flag + flatten request only -> zero', summarize(ssmFlat), 's');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
