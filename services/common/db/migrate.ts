import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from 'pg';
import { messageOf } from '../errors';
import { withClient } from './client';

/** Where the versioned migrations live. Every file is `NNNN_name.sql`. */
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

// Any constant: every migrator in any process takes the same lock.
const MIGRATION_LOCK_KEY = 4_771_001;
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrateResult {
  /** Versions applied by this call, oldest first. */
  readonly applied: readonly string[];
  /** Versions that were already in place. */
  readonly alreadyApplied: readonly string[];
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new MigrationError(`Migration file ${file} does not match NNNN_name.sql`);
    }
    const sql = await readFile(path.join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    migrations.push({ version: match[1], name: match[2], sql, checksum });
  }
  const versions = migrations.map((m) => m.version);
  const duplicate = versions.find((v, i) => versions.indexOf(v) !== i);
  if (duplicate) throw new MigrationError(`Two migrations share version ${duplicate}`);
  return migrations;
}

/**
 * Applies every migration not yet applied, each in its own transaction, under an advisory lock so
 * that tasks starting together do not race. An applied migration whose file changed is an error:
 * history is fixed once it has run anywhere.
 */
export async function migrate(pool: Pool, dir: string = MIGRATIONS_DIR): Promise<MigrateResult> {
  const migrations = await loadMigrations(dir);
  return withClient(pool, 'the migrations', async (client) => {
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await client.query<{ version: string; checksum: string }>(
        'SELECT version, checksum FROM schema_migrations',
      );
      const done = new Map(rows.map((r) => [r.version, r.checksum]));
      const applied: string[] = [];
      const alreadyApplied: string[] = [];
      for (const m of migrations) {
        const checksum = done.get(m.version);
        if (checksum !== undefined) {
          if (checksum !== m.checksum) {
            throw new MigrationError(
              `Migration ${m.version}_${m.name} changed after it was applied; add a new migration instead`,
            );
          }
          alreadyApplied.push(m.version);
          continue;
        }
        try {
          await client.query('BEGIN');
          await client.query(m.sql);
          await client.query(
            'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
            [m.version, m.name, m.checksum],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          const detail = messageOf(error);
          throw new MigrationError(`Migration ${m.version}_${m.name} failed: ${detail}`);
        }
        applied.push(m.version);
      }
      return { applied, alreadyApplied };
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
        .catch(() => undefined);
    }
  });
}
