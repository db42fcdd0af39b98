import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { type LocalPostgres, startLocalPostgres } from '../../scripts/local/postgres';
import { migrate } from '../../services/common/db/migrate';

/**
 * A PostgreSQL server of the test's own, that the test may stop and start again on the same port
 * and data (never the shared server of the run).
 */
export interface StoppablePostgres {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  destroy(): Promise<void>;
}

export async function startStoppablePostgres(): Promise<StoppablePostgres> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'fault-pg-'));
  let server: LocalPostgres = await startLocalPostgres({
    dataDir,
    persistent: true,
    ephemeralTuning: true,
  });
  const port = server.port;
  await server.createDatabase('algotrading');
  const url = server.url('algotrading');
  const pool = new Pool({ connectionString: url, max: 1 }).on('error', () => undefined);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  let running = true;
  return {
    url,
    stop: async () => {
      if (!running) return;
      running = false;
      await server.stop();
    },
    start: async () => {
      if (running) return;
      server = await startLocalPostgres({ dataDir, port, persistent: true, ephemeralTuning: true });
      running = true;
    },
    destroy: async () => {
      if (running) await server.stop();
      running = false;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
