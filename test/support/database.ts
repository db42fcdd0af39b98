import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { LocalPostgres } from '../../scripts/local/postgres';

/** Migrated once per run by the global setup; copied for each test file. */
export const TEMPLATE_DATABASE = 'algotrading_template';

export type TestPostgresGlobal = typeof globalThis & {
  __algoTradingTestPostgres?: LocalPostgres;
  /** The run's folder of temporary files (TMPDIR of the workers), removed at teardown. */
  __algoTradingTestRunDir?: string;
};

/** A database of its own for one test file, with every migration applied. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly pool: Pool;
  /** Ends the pool and drops the database. */
  close(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_PG_ADMIN_URL;
  if (!url)
    throw new Error('TEST_PG_ADMIN_URL is not set: run the tests through jest (global setup)');
  return url;
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates a fresh database from the migrated template. */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}${options.empty ? '' : ` TEMPLATE ${TEMPLATE_DATABASE}`}`);
  const url = databaseUrl(name);
  // Dropping a database ends its idle connections; that is expected here, not a crash.
  const pool = new Pool({ connectionString: url, max: 10 }).on('error', () => undefined);
  return {
    name,
    url,
    pool,
    close: async () => {
      await pool.end();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** A `TestDatabase` that reads the current one at each use (it exists only inside hooks/tests). */
export function lazyDatabase(now: () => TestDatabase): TestDatabase {
  return {
    get name() {
      return now().name;
    },
    get url() {
      return now().url;
    },
    get pool() {
      return now().pool;
    },
    close: () => now().close(),
  };
}

/**
 * One database for the test file, created before its first test and dropped after its last, with
 * the `emptied` tables' rows deleted before each test: tests that share the schema, not the rows.
 */
export function databasePerFile(emptied: readonly string[] = []): TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase();
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  beforeEach(async () => {
    for (const table of emptied) await current?.pool.query(`DELETE FROM ${table}`);
  });
  return lazyDatabase(() => {
    if (!current) throw new Error('the test database exists only while the file runs');
    return current;
  });
}
