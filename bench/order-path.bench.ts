import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { report, summarize } from './support';
import { BENCH_TOKEN, startBenchStack } from './support/bench-stack';
import { openLoop } from './support/open-loop';

// POST /orders through the real service process against PostgreSQL 17 with fsync on: validation,
// pre-trade risk, the fenced durable insert, the paper venue's acknowledgement (and, 5 ms later,
// its fills, recorded by the service). Target: p99 < 5 ms at 1,000 orders/s.
const RATE = 1000;
const SECONDS = 30;
const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
// Buy one, sell one: the position stays near flat, so every order passes the limits.
const order = (i: number) =>
  JSON.stringify({
    clientOrderId: `bench-${process.pid}-${i}`,
    symbol: 'INFY',
    side: i % 2 ? 'SELL' : 'BUY',
    type: 'MARKET',
    quantity: 1,
    stopPrice: i % 2 ? 1750 : 1400,
  });

async function measure(label: string, url: string, rate: number, seconds: number, offset: number) {
  const result = await openLoop({
    url,
    rate,
    seconds,
    connections: 16,
    request: (i) => ({ method: 'POST', path: '/orders', headers, body: order(offset + i) }),
  });
  const s = summarize(result.latenciesMs);
  const codes = Object.entries(result.statusCounts)
    .map(([c, n]) => `${c}:${n}`)
    .join(' ');
  report(`${label} (${(result.sent / result.seconds).toFixed(0)}/s, ${codes})`, s, 'ms', {
    p99Max: 5,
  });
  return { s, result };
}

/** CPU seconds used so far by processes whose command line matches `pattern` (Linux /proc). */
function cpuSeconds(pattern: RegExp): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!pattern.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended
    }
  }
  return ticks / 100;
}

async function main() {
  // Limits wide enough that 1,000 orders/s are accepted (production caps the rate at 10/s).
  const stack = await startBenchStack({
    tasks: 1,
    limits: {
      capitalInr: 1_000_000_000,
      maxOrderNotionalInr: 1_000_000,
      maxPositionNotionalInr: 100_000_000,
      maxOrdersPerSecond: 5000,
      registeredAlgo: true,
      duplicateWindowMs: 0,
    },
    env: { PAPER_LATENCY_MS: '5' },
  });
  const [url] = stack.urls;
  if (!url) throw new Error('no service');
  let offset = 0;
  try {
    await measure('warm-up, 200/s', url, 200, 5, offset);
    offset += 10_000;
    // Where does the accepted path stop meeting p99 < 5 ms on this machine?
    for (const rate of [250, 500, 750]) {
      const cpu = {
        service: cpuSeconds(/bench-trading-server/),
        postgres: cpuSeconds(/postgres/),
        self: process.cpuUsage(),
      };
      const { result } = await measure(`order path, accepted, ${rate}/s`, url, rate, 15, offset);
      offset += 100_000;
      const per = (seconds: number) => `${Math.round((seconds / result.sent) * 1e6)} us`;
      const self = process.cpuUsage(cpu.self);
      console.log(
        `  CPU per order: service ${per(cpuSeconds(/bench-trading-server/) - cpu.service)}, postgres ${per(cpuSeconds(/postgres/) - cpu.postgres)}, load generator ${per((self.user + self.system) / 1e6)} (2 cores in all)`,
      );
    }
    const { s, result } = await measure(
      `order path, accepted, ${RATE}/s`,
      url,
      RATE,
      SECONDS,
      offset,
    );
    // Cross-check with autocannon (whole-millisecond histogram).
    const ac = await autocannon({
      url,
      connections: 8,
      duration: 10,
      overallRate: RATE,
      headers,
      idReplacement: true,
      requests: [
        { method: 'POST', path: '/orders', body: order(0).replace(/bench-\d+-0/, 'ac-[<id>]') },
        { method: 'POST', path: '/orders', body: order(1).replace(/bench-\d+-1/, 'ac-[<id>]') },
      ],
    });
    console.log(
      `autocannon cross-check, ${RATE}/s (integer ms): rate=${ac.requests.average}/s p50=${ac.latency.p50} p90=${ac.latency.p90} p99=${ac.latency.p99} max=${ac.latency.max} ms, non-2xx=${ac.non2xx}`,
    );
    process.exitCode = s.p99 < 5 && (result.statusCounts['201'] ?? 0) === result.sent ? 0 : 1;
  } finally {
    await stack.stop();
  }

  // The same load against production limits: all but 10 a second are refused (ORDER_RATE).
  const capped = await startBenchStack({ tasks: 1, env: { PAPER_LATENCY_MS: '5' } });
  try {
    const [cappedUrl] = capped.urls;
    if (cappedUrl)
      await measure(`order path, 10/s cap, ${RATE}/s offered`, cappedUrl, RATE, 10, 2_000_000);
  } finally {
    await capped.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
