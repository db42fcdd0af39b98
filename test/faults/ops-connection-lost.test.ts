import type { Readable } from 'node:stream';
import { seedTrades } from '../../scripts/local/seed-trades';
import { ConnectionLostError, withClient } from '../../services/common/db/client';
import type { ObjectStore } from '../../services/ops/platform/ports';
import { streamExport } from '../../services/ops/procedures/trade-export';
import { createTestDatabase, type TestDatabase } from '../support/database';

const DAY = '2026-11-23';

/** Polls `condition` until it holds or `timeoutMs` passes (then fails naming `what`). */
async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * An object store whose upload reads the first chunk, then waits for `whileHeld` (the backend is
 * killed meanwhile: the COPY cannot have finished, the upload is not reading), then drains.
 */
function holdingStore(whileHeld: () => Promise<void>): ObjectStore {
  return {
    location: 'memory://',
    put: async () => undefined,
    get: async () => undefined,
    download: async () => undefined,
    list: async () => [],
    delete: async () => undefined,
    upload: async (_key: string, body: Readable) => {
      let bytes = 0;
      let held = false;
      for await (const chunk of body) {
        bytes += (chunk as Buffer).length;
        if (!held) {
          held = true;
          await whileHeld();
        }
      }
      return { bytes };
    },
  };
}

describe('a backend terminated mid-procedure', () => {
  let db: TestDatabase;
  const uncaught: Error[] = [];
  const record = (error: Error) => uncaught.push(error);

  beforeAll(async () => {
    db = await createTestDatabase();
    // Far more than the socket and stream buffers hold: the COPY is still sending when killed.
    await seedTrades(db.pool, { day: DAY, count: 150_000 });
    process.on('uncaughtException', record);
  });

  afterAll(async () => {
    process.removeListener('uncaughtException', record);
    await db.close();
  });

  const terminate = (applicationPattern: string) =>
    db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1`,
      [applicationPattern],
    );

  it('fails the trade export with a message naming the lost connection, and crashes nothing', async () => {
    // Arrange: the export's own pool, so that its dead client is not shared with the test's.
    const { Pool } = await import('pg');
    const pool = new Pool({ connectionString: db.url, max: 2 }).on('error', () => undefined);
    const store = holdingStore(async () => {
      const { rowCount } = await terminate('COPY%');
      expect(rowCount).toBe(1);
    });

    // Act
    const exported = streamExport(pool, store, DAY, 'exports/trades/x/trades.csv');

    // Assert
    await expect(exported).rejects.toThrow(
      /the database connection was lost during the trade export of 2026-11-23: /,
    );
    await expect(exported).rejects.toBeInstanceOf(ConnectionLostError);
    // The 'end' of the dead connection arrives after the rejection: wait until the pool let it go.
    await until('the dead client to leave the pool', async () => pool.totalCount === 0);
    const { rows } = await pool.query<{ n: number }>('SELECT 1 AS n');
    expect(rows[0]?.n).toBe(1);
    expect(uncaught).toEqual([]);
    await pool.end();
  });

  it('turns an unexpected disconnect of a checked-out client into a ConnectionLostError', async () => {
    // Arrange
    const { Pool } = await import('pg');
    const pool = new Pool({ connectionString: db.url, max: 1 }).on('error', () => undefined);

    // Act: the statement sleeps; the test kills it from another connection.
    const running = withClient(pool, 'a long check', (c) => c.query('SELECT pg_sleep(30)')).then(
      () => undefined,
      (error: unknown) => error,
    );
    await until('the sleeping statement', async () => {
      const { rowCount } = await terminate('SELECT pg_sleep%');
      return rowCount === 1;
    });

    // Assert
    const error = await running;
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((error as Error).message).toMatch(
      /the database connection was lost during a long check/,
    );
    expect(uncaught).toEqual([]);
    await pool.end();
  });
});
