import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { TRADING_NODE_OPTIONS } from '../contract/trading-runtime';

// `npm run bench` runs every bench/*.bench.ts; `npm run bench -- risk flag` runs those matching.
const filters = process.argv.slice(2);
const benches = readdirSync(__dirname)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();

if (benches.length === 0) {
  console.error(`No bench matches ${filters.join(', ')}`);
  process.exit(2);
}

let failed = 0;
for (const file of benches) {
  console.log(`\n### ${file}`);
  // One process per bench: each starts from a cold heap and cannot disturb the next.
  // The bench process is the load generator too: its own pauses would count as the latency of
  // what it measures, so it gets the young generation the trading service runs with.
  const result = spawnSync(
    process.execPath,
    [...TRADING_NODE_OPTIONS.split(' '), '--import', 'tsx', path.join(__dirname, file)],
    {
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
