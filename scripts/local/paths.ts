import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The project root: local state lives in `<root>/.local` (git-ignored). */
export const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** Where the local stack keeps its state (git-ignored). `LOCAL_STACK_DIR` overrides, for tests. */
export function localDir(): string {
  return process.env.LOCAL_STACK_DIR ?? path.join(PROJECT_ROOT, '.local');
}

/**
 * The data directory of the local PostgreSQL. As root, PostgreSQL runs as the `postgres` user,
 * which must be able to reach the directory; when the project sits under a private directory
 * (e.g. /root) the data goes to a per-project directory under /var/tmp instead.
 */
export function localPostgresDataDir(): string {
  const root = localDir();
  const preferred = path.join(root, 'postgres');
  if (os.userInfo().uid !== 0) return preferred;
  let dir = root;
  while (true) {
    // Others need search permission on every ancestor.
    if ((statSync(dir).mode & 0o001) === 0) {
      return path.join(
        '/var/tmp',
        `algo-trading-local-${createHash('sha256').update(root).digest('hex').slice(0, 16)}`,
        'postgres',
      );
    }
    const parent = path.dirname(dir);
    if (parent === dir) return preferred;
    dir = parent;
  }
}
