import { createReadStream, createWriteStream } from 'node:fs';
import {
  appendFile,
  link,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type AlarmSource,
  type Fleet,
  type LogLine,
  type LogSource,
  type Notifier,
  ObjectExistsError,
  type ObjectStore,
  type ServiceDescription,
  type TaskDefinitionRevision,
  type TaskEndpoint,
  type Topic,
  type WriteOptions,
} from '../ports';

/** The local fleet's HTTP API (scripts/local/fleet-server.ts) as a Fleet. */
export class LocalFleetClient implements Fleet {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async describe(service: string): Promise<ServiceDescription> {
    const s = await this.call<{
      name: string;
      desiredCount: number;
      runningCount: number;
      pendingCount: number;
      rolloutState: 'COMPLETED' | 'IN_PROGRESS';
      deployment: number;
      events: Array<{ at: string; message: string }>;
    }>('GET', `/services/${service}`);
    return {
      name: s.name,
      desiredCount: s.desiredCount,
      runningCount: s.runningCount,
      pendingCount: s.pendingCount,
      rolloutState: s.rolloutState,
      taskDefinition: `${service}:${s.deployment}`,
      events: s.events,
    };
  }

  async tasks(service: string): Promise<TaskEndpoint[]> {
    const s = await this.call<{
      tasks: Array<{ id: string; url: string; startedAt: string; status: string }>;
    }>('GET', `/services/${service}`);
    return s.tasks
      .filter((t) => t.status === 'RUNNING')
      .map((t) => ({ taskId: t.id, url: t.url, startedAt: t.startedAt, status: t.status }));
  }

  async setDesiredCount(service: string, count: number): Promise<void> {
    await this.call('POST', `/services/${service}/desired-count`, { desiredCount: count });
  }

  async forceNewDeployment(service: string): Promise<void> {
    await this.call('POST', `/services/${service}/deployments`);
  }

  async revisions(): Promise<TaskDefinitionRevision[]> {
    throw new Error('the local fleet runs the working tree: it has no task definition revisions');
  }

  async deployRevision(): Promise<void> {
    throw new Error('the local fleet runs the working tree: it has no task definition revisions');
  }

  async tags(service: string): Promise<Record<string, string>> {
    return (await this.call<{ tags: Record<string, string> }>('GET', `/services/${service}`)).tags;
  }

  async tag(service: string, tags: Record<string, string>): Promise<void> {
    await this.call('PUT', `/services/${service}/tags`, tags);
  }

  async untag(service: string, keys: readonly string[]): Promise<void> {
    for (const key of keys)
      await this.call('DELETE', `/services/${service}/tags/${encodeURIComponent(key)}`);
  }

  private async call<T = unknown>(method: string, urlPath: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`local fleet ${method} ${urlPath}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
}

/** A directory standing in for the S3 bucket. Writes go to a temporary file, then are renamed. */
export class LocalObjectStore implements ObjectStore {
  constructor(readonly location: string) {}

  async put(
    key: string,
    body: string | Buffer,
    _contentType?: string,
    options: WriteOptions = {},
  ): Promise<void> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.partial`;
    try {
      await writeFile(temp, body);
      await this.publish(key, temp, file, options);
    } finally {
      await rm(temp, { force: true });
    }
  }

  async upload(
    key: string,
    body: Readable,
    _contentType?: string,
    options: WriteOptions = {},
  ): Promise<{ bytes: number }> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.partial`;
    try {
      await pipeline(body, createWriteStream(temp));
      await this.publish(key, temp, file, options);
    } finally {
      await rm(temp, { force: true });
    }
    return { bytes: (await stat(file)).size };
  }

  /** A rename replaces; a hard link fails when the name exists (create-if-absent, atomically). */
  private async publish(key: string, temp: string, file: string, options: WriteOptions) {
    if (!options.ifAbsent) {
      await rename(temp, file);
      return;
    }
    try {
      await link(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ObjectExistsError(key);
      throw error;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.file(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async download(key: string): Promise<Readable | undefined> {
    const file = this.file(key);
    try {
      await stat(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return createReadStream(file);
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string) => {
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch {
        return;
      }
      for (const e of entries) {
        const full = path.join(dir, e);
        if ((await stat(full)).isDirectory()) await walk(full);
        else if (!e.endsWith('.partial')) out.push(path.relative(this.location, full));
      }
    };
    await walk(this.location);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  private file(key: string): string {
    const resolved = path.resolve(this.location, key);
    if (!resolved.startsWith(path.resolve(this.location) + path.sep))
      throw new Error(`object key escapes the store: ${key}`);
    return resolved;
  }
}

/** Notifications of the local stack: appended to a file, and printed. */
export class LocalNotifier implements Notifier {
  constructor(
    private readonly file: string,
    private readonly print: (line: string) => void = (line) => console.error(line),
  ) {}

  async publish(topic: Topic, subject: string, message: string): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(
      this.file,
      `${JSON.stringify({ at: new Date().toISOString(), topic, subject, message })}\n`,
    );
    this.print(`[${topic}] ${subject}`);
  }
}

/** The local stack's service logs (JSON lines, one file per service). */
export class LocalLogSource implements LogSource {
  constructor(private readonly logDir: string) {}

  async lines(options: { sinceMs: number; pattern?: string; limit: number }): Promise<LogLine[]> {
    let files: string[];
    try {
      files = (await readdir(this.logDir)).filter((f) => f.endsWith('.log'));
    } catch {
      return [];
    }
    const out: LogLine[] = [];
    for (const f of files) {
      const text = await readFile(path.join(this.logDir, f), 'utf8');
      for (const line of text.split('\n')) {
        if (!line || (options.pattern && !line.includes(options.pattern))) continue;
        let timestamp = 0;
        try {
          timestamp = Date.parse((JSON.parse(line) as { time?: string }).time ?? '') || 0;
        } catch {
          continue;
        }
        if (timestamp >= options.sinceMs)
          out.push({ timestamp, stream: f.replace(/\.log$/, ''), message: line });
      }
    }
    return out.sort((a, b) => a.timestamp - b.timestamp).slice(-options.limit);
  }
}

/** There are no CloudWatch alarms locally. */
export const noAlarms: AlarmSource = {
  inAlarm: async () => [],
  alarmedSince: async () => [],
};
