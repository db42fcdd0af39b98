import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Client, Pool } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import * as z from 'zod';
import { withStandaloneClient } from '../../../common/db/client';
import { loadMigrations, migrate } from '../../../common/db/migrate';
import type { DatabaseAdmin, DatabaseDescription, DatabaseSnapshot } from '../ports';

const ManifestSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  database: z.string(),
  migrations: z.array(z.string()),
  tables: z.array(z.object({ name: z.string(), file: z.string() })),
  sequences: z.array(z.object({ name: z.string(), value: z.string(), called: z.boolean() })),
});
type Manifest = z.output<typeof ManifestSchema>;

const quoteIdent = (name: string) =>
  name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');

/**
 * The local stack's stand-in for RDS snapshots (no pg_dump ships with the embedded PostgreSQL):
 * a snapshot is every table copied out in binary inside one repeatable-read transaction, with
 * the sequences' positions, under `<dir>/<id>/`; a restore migrates a new database to the same
 * versions and copies the tables back in, never touching the live one.
 */
export class LocalDatabaseAdmin implements DatabaseAdmin {
  readonly instanceId: string;

  constructor(
    /** A superuser URL of the live database. */
    private readonly databaseUrl: string,
    private readonly dir: string,
  ) {
    this.instanceId = `local:${new URL(databaseUrl).pathname.slice(1)}`;
  }

  async describe(): Promise<DatabaseDescription> {
    return this.withClient(this.databaseUrl, async (c) => {
      const { rows } = await c.query<{ version: string }>('SHOW server_version');
      return { status: 'available', engineVersion: rows[0]?.version, multiAz: false };
    });
  }

  async snapshots(prefix: string): Promise<DatabaseSnapshot[]> {
    let ids: string[];
    try {
      ids = (await readdir(this.dir)).filter(
        (id) => id.startsWith(prefix) && /^[A-Za-z0-9-]+$/.test(id),
      );
    } catch {
      return [];
    }
    const found = await Promise.all(ids.map((id) => this.snapshot(id)));
    return found
      .flatMap((s) => (s ? [s] : []))
      .sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
  }

  async snapshot(id: string): Promise<DatabaseSnapshot | undefined> {
    const manifest = await this.manifest(id);
    if (manifest) return { id, status: 'available', createdAt: manifest.createdAt };
    try {
      await readdir(`${this.snapshotDir(id)}.partial`);
      return { id, status: 'creating' };
    } catch {
      return undefined;
    }
  }

  async createSnapshot(id: string): Promise<void> {
    if (await this.snapshot(id)) throw new Error(`snapshot ${id} already exists`);
    const dir = this.snapshotDir(id);
    const temp = `${dir}.partial`;
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp, { recursive: true });
    try {
      const manifest = await this.withClient(this.databaseUrl, async (c) => {
        await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const tables = await c.query<{ name: string }>(
          `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
            WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
              AND table_name <> 'schema_migrations' ORDER BY 1`,
        );
        const files: Manifest['tables'] = [];
        for (const { name } of tables.rows) {
          const file = `${name}.bin`;
          await pipeline(
            c.query(copyTo(`COPY ${quoteIdent(name)} TO STDOUT (FORMAT binary)`)),
            createWriteStream(path.join(temp, file)),
          );
          files.push({ name, file });
        }
        const sequences = await c.query<{ name: string; value: string; called: boolean }>(
          `SELECT schemaname || '.' || sequencename AS name, COALESCE(last_value, start_value)::text AS value,
                  last_value IS NOT NULL AS called
             FROM pg_sequences ORDER BY 1`,
        );
        const migrations = await c.query<{ version: string }>(
          'SELECT version FROM schema_migrations ORDER BY version',
        );
        await c.query('COMMIT');
        return {
          id,
          createdAt: new Date().toISOString(),
          database: this.instanceId,
          migrations: migrations.rows.map((r) => r.version),
          tables: files,
          sequences: sequences.rows,
        } satisfies Manifest;
      });
      await writeFile(path.join(temp, 'manifest.json'), JSON.stringify(manifest, null, 2));
      await rename(temp, dir);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
  }

  async deleteSnapshot(id: string): Promise<void> {
    await rm(this.snapshotDir(id), { recursive: true, force: true });
  }

  /** The new instance is a new database: the instance id with `_` for `-`. */
  async restoreSnapshot(id: string, newInstanceId: string): Promise<string> {
    const newDatabase = newInstanceId.toLowerCase().replaceAll('-', '_');
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(newDatabase))
      throw new Error(
        `a local restore target must be letters, digits, - and _ (63 at most), got ${JSON.stringify(newInstanceId)}`,
      );
    const manifest = await this.manifest(id);
    if (!manifest) throw new Error(`snapshot ${id} not found (or not complete)`);
    const current = (await loadMigrations()).map((m) => m.version);
    if (current.join() !== manifest.migrations.join())
      throw new Error(
        `snapshot ${id} has migrations ${manifest.migrations.join(', ')}; this code has ${current.join(', ')}`,
      );
    const target = new URL(this.databaseUrl);
    const admin = new URL(this.databaseUrl);
    admin.pathname = '/postgres';
    await this.withClient(admin.toString(), (c) =>
      c.query(`CREATE DATABASE ${quoteIdent(newDatabase)}`),
    );
    target.pathname = `/${newDatabase}`;
    // A connection of this short-lived pool that dies while idle must not end the process.
    const pool = new Pool({ connectionString: target.toString(), max: 1 }).on(
      'error',
      () => undefined,
    );
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
    await this.withClient(target.toString(), async (c) => {
      await c.query('BEGIN');
      // Replica mode: no triggers (the audit chain's rows come back as they were, hashes and all).
      await c.query('SET LOCAL session_replication_role = replica');
      await c.query(`TRUNCATE ${manifest.tables.map((t) => quoteIdent(t.name)).join(', ')}`);
      for (const t of manifest.tables) {
        await pipeline(
          createReadStream(path.join(this.snapshotDir(id), t.file)),
          c.query(copyFrom(`COPY ${quoteIdent(t.name)} FROM STDIN (FORMAT binary)`)),
        );
      }
      for (const s of manifest.sequences)
        await c.query('SELECT setval($1::regclass, $2::bigint, $3)', [
          quoteIdent(s.name),
          s.value,
          s.called,
        ]);
      await c.query('COMMIT');
    });
    return target.toString().replace(/:[^:@/]+@/, ':***@');
  }

  private snapshotDir(id: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(id)) throw new Error(`invalid snapshot id ${JSON.stringify(id)}`);
    return path.join(this.dir, id);
  }

  private async manifest(id: string): Promise<Manifest | undefined> {
    try {
      return ManifestSchema.parse(
        JSON.parse(await readFile(path.join(this.snapshotDir(id), 'manifest.json'), 'utf8')),
      );
    } catch {
      return undefined;
    }
  }

  private withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
    return withStandaloneClient(url, 'a local database administration', fn);
  }
}
