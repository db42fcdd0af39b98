import { Pool } from 'pg';
import type { OrderRateView } from '../services/trading/src/broker/order-rate-slots';
import { mark } from './support';
import { BENCH_TOKEN, sleep, startBenchStack } from './support/bench-stack';
import { openLoop } from './support/open-loop';
import { strategyPerTask } from './support/strategy-per-task';

// The client-wide order-rate limit at the broker's door: 3 trading processes on one PostgreSQL,
// 1,000 entries a second offered over HTTP for 2 s (a third to each), the default limit (8/s).
// Measured where the exchange counts: the paper venue's receipt stamps (`paper.messages`).
const RATE = 1000;
const SECONDS = 2;
const LIMIT = 8;
const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
const order = (task: number, strategyId: string | undefined, i: number) =>
  JSON.stringify({
    clientOrderId: `rate-${task}-${i}`,
    strategyId,
    symbol: 'INFY',
    side: i % 2 ? 'SELL' : 'BUY',
    type: 'MARKET',
    quantity: 1,
    stopPrice: i % 2 ? 1750 : 1400,
  });

async function main() {
  // One strategy per task, so that all three tasks send.
  const strategies = await strategyPerTask(3, 'rate');
  const stack = await startBenchStack({
    tasks: 3,
    limits: {
      capitalInr: 1_000_000_000,
      maxOrderNotionalInr: 1_000_000,
      maxPositionNotionalInr: 100_000_000,
      maxOrdersPerSecond: LIMIT,
      duplicateWindowMs: 0,
    },
    env: { PAPER_LATENCY_MS: '5' },
    taskEnv: strategies.taskEnv,
  });
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 1 });
  try {
    // Each task offers orders of a strategy it holds (the leases spread them; another task's
    // strategy would be refused NOT_LEASE_HOLDER before the limiter). Up to 15 s to spread.
    const held = async (url: string) =>
      ((await (await fetch(`${url}/state`)).json()) as { strategies: { held: string[] } })
        .strategies.held;
    let holdings: string[][] = [];
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(200)) {
      holdings = await Promise.all(stack.urls.map(held));
      if (holdings.every((h) => h.some((id) => id.startsWith('rate-')))) break;
    }
    console.log(
      `  strategies held per task: ${holdings.map((h) => h.join('+') || '-').join(', ')}`,
    );
    const results = await Promise.all(
      stack.urls.map((url, task) =>
        openLoop({
          url,
          rate: RATE / stack.urls.length,
          seconds: SECONDS,
          connections: 16,
          request: (i) => ({
            method: 'POST',
            path: '/orders',
            headers,
            body: order(task, `rate-${task}`, i),
          }),
        }),
      ),
    );
    // Exits or cancels still in line reach the venue within a second or two.
    await sleep(2000);
    const { rows } = await pool.query<{ peak: number | null; total: number }>(
      `SELECT max(n)::int AS peak, count(*)::int AS total FROM (
         SELECT (SELECT count(*) FROM paper.messages o
                  WHERE o.received_at >= m.received_at
                    AND o.received_at < m.received_at + interval '1 second') AS n
           FROM paper.messages m) w`,
    );
    // Risk-check refusals are batched to the database: what has landed by now, by rule.
    const rules = await pool.query<{ rule: string; n: number }>(
      "SELECT rule, count(*)::int AS n FROM risk_events WHERE kind = 'REJECT' GROUP BY rule ORDER BY 2 DESC",
    );
    const codes: Record<string, number> = {};
    for (const r of results)
      for (const [code, n] of Object.entries(r.statusCounts)) codes[code] = (codes[code] ?? 0) + n;
    const offered = results.reduce((n, r) => n + r.sent, 0);
    const accepted = codes['201'] ?? 0;
    const views = await Promise.all(
      stack.urls.map(
        async (url) =>
          (
            (await (await fetch(`${url}/api/health/rate-limits`)).json()) as {
              rateLimits: OrderRateView[];
            }
          ).rateLimits[0],
      ),
    );
    const sum = (k: keyof OrderRateView['counts']) =>
      views.reduce((n, v) => n + (v?.counts[k] ?? 0), 0);
    const peak = rows[0]?.peak ?? 0;
    console.log(
      `max messages in any 1 s window at the venue, 3 tasks, ${RATE}/s offered: ${peak} (limit ${LIMIT}) [${mark(peak <= LIMIT)}]`,
    );
    console.log(
      `  offered ${offered} in ${SECONDS} s; accepted ${accepted}, refused ${offered - accepted} (HTTP ${Object.entries(
        codes,
      )
        .map(([c, n]) => `${c}:${n}`)
        .join(' ')}); venue messages ${rows[0]?.total ?? 0}`,
    );
    console.log(
      `  refusals recorded by rule: ${rules.rows.map((r) => `${r.rule}:${r.n}`).join(' ')}`,
    );
    console.log(
      `  limiter, 3 tasks: ${sum('databaseRoundTrips')} database round trips, ${sum('localRefusals')} refusals answered locally, ${sum('restampedEntries')} late entries restamped and sent, ${sum('lateEntries')} late entries refused, ${sum('restamped')} late exits restamped, ${sum('restampedOnAnswer')} messages restamped on a late answer, ${sum('lateRetries')} exits re-queued`,
    );
    process.exitCode = peak <= LIMIT ? 0 : 1;
  } finally {
    await pool.end();
    await stack.stop();
    await strategies.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
