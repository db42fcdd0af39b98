import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import type { LocalPostgres } from '../../scripts/local/postgres';
import { sleep } from '../../services/common/retry';

/** What PostgreSQL did for the work of one run, from its own statement log and counters. */
export interface Census {
  /** Statements executed, by client (application_name) and statement (its name, or its start). */
  readonly statements: ReadonlyArray<{ client: string; statement: string; count: number }>;
  /** Transactions committed in the database. */
  readonly commits: number;
  /** WAL flushes to disk (fsync): what a synchronous commit waits for. */
  readonly walSyncs: number;
}

interface Counters {
  commits: number;
  walSyncs: number;
}

async function counters(c: Client, database: string): Promise<Counters> {
  // Statistics are per backend until reported; a fresh snapshot reads what was reported so far.
  await c.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await c.query<{ commits: string; syncs: string }>(
    `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = $1) AS commits,
            (SELECT wal_sync FROM pg_stat_wal) AS syncs`,
    [database],
  );
  return { commits: Number(rows[0]?.commits), walSyncs: Number(rows[0]?.syncs) };
}

// `%a|` first: `execute <name>: text` (extended protocol) or `statement: text` (simple).
const LINE = /^([^|]*)\|.*?LOG: {2}(?:execute ([^:]+)|statement): (.*)$/;

/**
 * Runs `work` with PostgreSQL logging every statement (log_statement=all) and counts what it
 * executed, by client and statement, with the commits and WAL flushes of the run. For a few
 * hundred orders at a low rate: the log costs more than the statements.
 */
export async function statementCensus(
  pg: LocalPostgres,
  database: string,
  work: () => Promise<void>,
): Promise<Census> {
  const admin = new Client({ connectionString: pg.url('postgres'), application_name: 'census' });
  const inDb = new Client({ connectionString: pg.url(database), application_name: 'census' });
  await Promise.all([admin.connect(), inDb.connect()]);
  const logFile = path.join(pg.dataDir, 'server.log');
  try {
    await admin.query("ALTER SYSTEM SET log_line_prefix = '%a|'");
    await admin.query("ALTER SYSTEM SET log_statement = 'all'");
    await admin.query('SELECT pg_reload_conf()');
    await sleep(200);
    const from = (await stat(logFile)).size;
    const before = await counters(inDb, database);
    await work();
    // Statistics reach the shared counters within a second of a backend going idle.
    await sleep(1500);
    const after = await counters(inDb, database);
    await admin.query('ALTER SYSTEM RESET log_statement');
    await admin.query('ALTER SYSTEM RESET log_line_prefix');
    await admin.query('SELECT pg_reload_conf()');
    const to = (await stat(logFile)).size;
    const handle = await open(logFile);
    const buffer = Buffer.alloc(to - from);
    await handle.read(buffer, 0, buffer.length, from);
    await handle.close();
    const counts = new Map<string, { client: string; statement: string; count: number }>();
    for (const line of buffer.toString('utf8').split('\n')) {
      const m = LINE.exec(line);
      if (!m) continue;
      const client = (m[1] ?? '').replace(/\/bench-task-\d+/, '') || '(none)';
      if (client === 'census') continue;
      const text = (m[3] ?? '').replace(/\s+/g, ' ').trim();
      const statement = m[2] && m[2] !== '<unnamed>' ? m[2] : text.slice(0, 60);
      const key = `${client}\u0000${statement}`;
      const entry = counts.get(key) ?? { client, statement, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
    return {
      statements: [...counts.values()].sort((a, b) => b.count - a.count),
      commits: after.commits - before.commits,
      walSyncs: after.walSyncs - before.walSyncs,
    };
  } finally {
    await Promise.all([admin.end(), inDb.end()]);
  }
}

/** Prints a census per order: each statement's count divided by `orders`. */
export function printCensus(label: string, census: Census, orders: number): void {
  const per = (n: number) => (n / orders).toFixed(2);
  console.log(`${label}: per order (${orders} orders)`);
  for (const s of census.statements.filter((x) => x.count / orders >= 0.01))
    console.log(`  ${per(s.count).padStart(6)}  ${s.client.padEnd(28)} ${s.statement}`);
  const total = census.statements.reduce((n, s) => n + s.count, 0);
  console.log(
    `  ${per(total).padStart(6)}  statements in all; ${per(census.commits)} commits, ${per(census.walSyncs)} WAL flushes (fsync)`,
  );
}
