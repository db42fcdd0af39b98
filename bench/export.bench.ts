import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { startLocalPostgres } from '../scripts/local/postgres';
import { seedTrades } from '../scripts/local/seed-trades';
import { migrate } from '../services/common/db/migrate';
import { createPool } from '../services/common/db/pool';
import { LocalObjectStore } from '../services/ops/platform/local/local-platform';
import { exportQuery, streamExport } from '../services/ops/procedures/trade-export';
import { mark } from './support';

const DAY = '2026-11-23';
const ROWS = Number(process.env.EXPORT_ROWS ?? 1_000_000);
const RUNS = 3;

/**
 * The trade export (COPY TO STDOUT -> digest -> object store, all or nothing) against psql's
 * `\copy (...) TO STDOUT` of the same query into a file, on the same 1M rows. Target: >= 80% of
 * psql's throughput.
 */
async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'export-bench-'));
  // As root, PostgreSQL runs as `postgres`, which must be able to reach the data directory.
  chmodSync(dir, 0o755);
  const pg = await startLocalPostgres({ dataDir: path.join(dir, 'pg'), persistent: false });
  try {
    await pg.createDatabase('bench');
    const url = pg.url('bench');
    const pool = await createPool({ url }, { max: 2, applicationName: 'bench-export' });
    await migrate(pool);
    let t = performance.now();
    await seedTrades(pool, { day: DAY, count: ROWS });
    await pool.query('VACUUM ANALYZE trades');
    console.log(`seeded ${ROWS} trades in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const ours: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i += 1) {
      const store = new LocalObjectStore(path.join(dir, `objects-${i}`));
      t = performance.now();
      const digest = await streamExport(pool, store, DAY, `exports/trades/${DAY}/trades.csv`);
      ours.push(performance.now() - t);
      bytes = digest.bytes;
      if (digest.records !== ROWS + 1) throw new Error(`exported ${digest.records - 1} rows`);
    }
    await pool.end();

    const hasPsql = spawnSync('psql', ['--version']).status === 0;
    const theirs: number[] = [];
    if (hasPsql) {
      const command = `\\copy (${exportQuery(DAY).replace(/\s+/g, ' ')}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
      for (let i = 0; i < RUNS; i += 1) {
        const out = path.join(dir, `psql-${i}.csv`);
        t = performance.now();
        const child = spawn('psql', [url, '-X', '-q', '-c', command], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const closed = new Promise((r) => child.on('close', r));
        await pipeline(child.stdout, createWriteStream(out));
        const code = await closed;
        if (code !== 0) throw new Error(`psql exited ${code}`);
        theirs.push(performance.now() - t);
      }
    }

    const best = (xs: number[]) => Math.min(...xs);
    const mb = bytes / 1024 / 1024;
    const line = (label: string, ms: number) =>
      console.log(
        `${label.padEnd(44)} best of ${RUNS}: ${(ms / 1000).toFixed(2)} s  ${Math.round(ROWS / (ms / 1000)).toLocaleString('en-US')} rows/s  ${(mb / (ms / 1000)).toFixed(1)} MB/s  (${mb.toFixed(0)} MB)`,
      );
    line('export (COPY -> sha256 -> object store)', best(ours));
    if (hasPsql) {
      line('psql \\copy (...) TO STDOUT > file', best(theirs));
      const ratio = best(theirs) / best(ours);
      console.log(
        `export throughput = ${(ratio * 100).toFixed(0)}% of psql  [target >= 80%: ${mark(ratio >= 0.8)}]`,
      );
    } else
      console.log('psql not installed (apt-get install postgresql-client): comparison skipped');
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
