import pino from 'pino';
import { RiskLimitsSchema } from '../../contract/risk-limits';
import { DEFAULT_RISK_LIMITS } from '../../contract/stage';
import { composeTradingService } from '../../services/trading/src/compose';
import { loadTradingConfig } from '../../services/trading/src/config';
import type { OrderRequest } from '../../services/trading/src/domain';
import { type Summary, summarize } from '../support';
import { BENCH_TOKEN, type BenchStack, sleep } from './bench-stack';

/** The refused path measured inside the service process, per reason. */
export interface RefusedInProcess {
  readonly accepted: number;
  /** Per reason: how long `submitOrder` took, and how many answered without any I/O. */
  readonly refused: ReadonlyArray<{ reason: string; s: Summary; withoutIo: number }>;
}

/**
 * Runs the trading service inside this process on `stack`'s database (production limits: 8
 * orders/s, no duplicate window) and offers `rate` orders a second for `seconds`: entries, every fourth without its
 * stop (MISSING_STOP). Each refusal is timed from the call to its answer; one that answers before
 * the next turn of the event loop did no I/O at all, so touched no database on its way.
 */
export async function refusedInProcess(
  stack: BenchStack,
  rate: number,
  seconds: number,
): Promise<RefusedInProcess> {
  const config = loadTradingConfig({
    STAGE: 'local',
    TASK_ID: 'bench-in-process',
    DATABASE_URL: stack.databaseUrl,
    LOCAL_PARAMETER_FILE: stack.store.file,
    CONTROL_TOKEN: BENCH_TOKEN,
    SESSION_CLOCK: 'simulated',
    PAPER_LATENCY_MS: '5',
  });
  const { service, close } = await composeTradingService(config, {
    taskId: 'bench-in-process',
    log: pino({ level: 'silent' }),
    // Production limits, without the duplicate window: the entries refused are refused for the
    // order rate (8/s), not as repeats of one another.
    limitsOverride: RiskLimitsSchema.parse({ ...DEFAULT_RISK_LIMITS, duplicateWindowMs: 0 }),
  });
  await service.start();
  try {
    const deadline = Date.now() + 30_000;
    while (!(await service.ready()).ready) {
      if (Date.now() > deadline) throw new Error('the in-process service did not become ready');
      await sleep(100);
    }
    await sleep(1000); // a price for INFY
    const times = new Map<string, number[]>();
    const quiet = new Map<string, number>();
    let accepted = 0;
    const total = rate * seconds;
    const start = performance.now();
    for (let i = 0; i < total; ) {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
      for (; i < due; i += 1) {
        const request: OrderRequest = {
          clientOrderId: `refused-${i}`,
          strategyId: 'manual',
          symbol: 'INFY',
          side: i % 2 ? 'SELL' : 'BUY',
          type: 'MARKET',
          quantity: 1,
          stopPrice: i % 4 === 3 ? undefined : i % 2 ? 1750 : 1400,
          reduceOnly: false,
        };
        const t0 = performance.now();
        let answeredAt = 0;
        const answer = service.submitOrder(request).then((r) => {
          answeredAt = performance.now();
          return r;
        });
        // Scheduled after anything the submit scheduled: a database answer cannot come first.
        await new Promise((resolve) => setImmediate(resolve));
        const withoutIo = answeredAt !== 0;
        const result = await answer;
        if (result.outcome !== 'REJECTED') {
          accepted += 1;
          continue;
        }
        const list = times.get(result.reason) ?? [];
        list.push(answeredAt - t0);
        times.set(result.reason, list);
        if (withoutIo) quiet.set(result.reason, (quiet.get(result.reason) ?? 0) + 1);
      }
      await sleep(1);
    }
    return {
      accepted,
      refused: [...times].map(([reason, list]) => ({
        reason,
        s: summarize(list),
        withoutIo: quiet.get(reason) ?? 0,
      })),
    };
  } finally {
    await service.stop('bench finished');
    await close();
  }
}
