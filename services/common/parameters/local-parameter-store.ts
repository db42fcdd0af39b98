import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sleep } from '../retry';
import type { ParameterRead, ParameterStore, ParameterValue } from './parameter-store';

interface StoreFile {
  parameters: Record<string, ParameterValue[]>;
}

const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

/**
 * The local stack's stand-in for SSM Parameter Store: a JSON file that the trading service, the
 * CLI and the dashboard share. Writes take a lock directory and replace the file atomically, so a
 * reader never sees half a file; every version is kept, as SSM keeps history.
 */
export class LocalParameterStore implements ParameterStore {
  readonly kind = 'local' as const;

  constructor(readonly file: string) {}

  /** Reads the file; an aborted `signal` stops the read (a hung disk must not hang the caller). */
  async getParameters(names: readonly string[], signal?: AbortSignal): Promise<ParameterRead> {
    signal?.throwIfAborted();
    const store = await this.read(signal);
    signal?.throwIfAborted();
    const found = new Map<string, ParameterValue>();
    const missing: string[] = [];
    for (const name of names) {
      const latest = store.parameters[name]?.at(-1);
      if (latest) found.set(name, latest);
      else missing.push(name);
    }
    return { found, missing };
  }

  async putParameter(name: string, value: string, actor: string): Promise<{ version: number }> {
    return this.withLock(async () => {
      const store = await this.read();
      const versions = store.parameters[name] ?? [];
      const version = (versions.at(-1)?.version ?? 0) + 1;
      versions.push({ name, value, version, lastModified: Date.now(), lastModifiedUser: actor });
      store.parameters[name] = versions;
      const temp = `${this.file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(store, null, 2));
      await rename(temp, this.file);
      return { version };
    });
  }

  async history(name: string, limit: number): Promise<ParameterValue[]> {
    const store = await this.read();
    return [...(store.parameters[name] ?? [])].reverse().slice(0, limit);
  }

  private async read(signal?: AbortSignal): Promise<StoreFile> {
    let text: string;
    try {
      text = await readFile(this.file, { encoding: 'utf8', signal });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { parameters: {} };
      throw error;
    }
    const parsed = JSON.parse(text) as StoreFile;
    if (!parsed || typeof parsed.parameters !== 'object') {
      throw new Error(`${this.file} is not a parameter store file`);
    }
    return parsed;
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const lock = `${this.file}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await mkdir(lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        // A writer that died holding the lock must not block the kill switch forever.
        const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
        if (age > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
        else if (Date.now() > deadline) throw new Error(`Timed out waiting for the lock ${lock}`);
        else await sleep(10);
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}
