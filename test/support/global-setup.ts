import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { startLocalPostgres } from '../../scripts/local/postgres';
import { migrate } from '../../services/common/db/migrate';
import { TEMPLATE_DATABASE, type TestPostgresGlobal } from './database';

/**
 * One PostgreSQL 17 for the whole run; every test file copies the migrated template. Every
 * temporary file of the run (the tests' and their child processes') goes into one folder that
 * the teardown removes: thousands of test runs' journals and flags no longer pile up in /tmp.
 */
export default async function globalSetup(): Promise<void> {
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'algo-trading-test-run-'));
  // The PostgreSQL user must be able to enter it (local stacks keep their data below it).
  await chmod(runDir, 0o755);
  const dataDir = await mkdtemp(path.join(runDir, 'pg-'));
  const server = await startLocalPostgres({ dataDir, persistent: false, ephemeralTuning: true });
  try {
    await server.createDatabase(TEMPLATE_DATABASE);
    const pool = new Pool({ connectionString: server.url(TEMPLATE_DATABASE), max: 1 });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
  } catch (error) {
    // Jest runs no teardown after a failed setup: a migration that fails must not leave the
    // server running (one did, for hours, under every later benchmark).
    await server.stop();
    await rm(runDir, { recursive: true, force: true });
    throw error;
  }
  // Workers start after global setup and inherit this environment.
  process.env.TEST_PG_ADMIN_URL = server.url('postgres');
  // The PostgreSQL binaries stay cached where they were (copied once, not once a run).
  process.env.LOCAL_PG_BIN_CACHE ??= path.join(os.tmpdir(), 'algo-trading-postgres');
  process.env.TMPDIR = runDir;
  const global = globalThis as TestPostgresGlobal;
  global.__algoTradingTestPostgres = server;
  global.__algoTradingTestRunDir = runDir;
}
