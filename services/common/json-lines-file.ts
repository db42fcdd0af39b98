import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';

/**
 * A file of JSON lines for records that must survive a crash: `append` returns once the line is
 * fsynced, `rewrite` replaces the whole file atomically (a fsynced temporary file renamed over
 * it). Calls are serialised; one writer process per file. A line cut short by a crash mid-append
 * can only be the last one, and is skipped on read: its append never returned, so the action it
 * recorded never happened.
 */
export class JsonLinesFile<T> {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  append(item: T): Promise<void> {
    return this.serial(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const handle = await open(this.file, 'a');
      try {
        await handle.appendFile(`${JSON.stringify(item)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  /** Every complete line, in file order. */
  read(): Promise<T[]> {
    return this.serial(() => this.readNow());
  }

  /** Replaces the content with what `keep` returns for the current content. */
  rewrite(keep: (items: T[]) => T[]): Promise<T[]> {
    return this.serial(async () => {
      const kept = keep(await this.readNow());
      const tmp = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(kept.map((i) => `${JSON.stringify(i)}\n`).join(''));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
      return kept;
    });
  }

  private async readNow(): Promise<T[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as T];
        } catch {
          return [];
        }
      });
  }

  private serial<R>(fn: () => Promise<R>): Promise<R> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
