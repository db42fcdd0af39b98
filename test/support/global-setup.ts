import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { startLocalPostgres } from '../../scripts/local/postgres';
import { migrate } from '../../services/common/db/migrate';
import { TEMPLATE_DATABASE, type TestPostgresGlobal } from './database';

/** One PostgreSQL 17 for the whole run; every test file copies the migrated template. */
export default async function globalSetup(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'algo-trading-test-pg-'));
  const server = await startLocalPostgres({ dataDir, persistent: false, ephemeralTuning: true });
  await server.createDatabase(TEMPLATE_DATABASE);
  const pool = new Pool({ connectionString: server.url(TEMPLATE_DATABASE), max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  // Workers start after global setup and inherit this environment.
  process.env.TEST_PG_ADMIN_URL = server.url('postgres');
  (globalThis as TestPostgresGlobal).__algoTradingTestPostgres = server;
}
