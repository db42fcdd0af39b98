import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type * as z from 'zod';
import {
  type BrokerToken,
  BrokerTokenSchema,
  brokerSecretNames,
  type LiveBroker,
} from '../../contract/brokers';
import { KiteTokenNameSchema } from '../../contract/kite';
import type { AnyStage } from '../../contract/names';
import { parseOrThrow } from '../../contract/validation';

/** A stored session and the version it was read at (changes with every login). */
export interface StoredBrokerToken {
  readonly token: BrokerToken;
  readonly version: string;
}

/**
 * Where a stage keeps one broker's app and named sessions (Upstox, Angel One): Secrets Manager in
 * AWS (`/algo-trading/<stage>/broker/<broker>/...`), a folder locally. Values are parsed at the
 * edge; a secret that does not parse is an error naming the secret.
 */
export interface BrokerSecretStore<App> {
  /** Where the secrets live, for messages (never a value). */
  readonly where: string;
  readApp(): Promise<App>;
  readToken(name: string): Promise<StoredBrokerToken | undefined>;
  writeToken(name: string, token: BrokerToken): Promise<void>;
}

const parseJson = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not JSON`);
  }
};

const isNotFound = (error: unknown) =>
  (error as { name?: string })?.name === 'ResourceNotFoundException' ||
  (error as { code?: string })?.code === 'ENOENT';

/** The local stack's store: `<dir>/app.json` and `<dir>/<NAME>.json`, written atomically, mode 600. */
export class LocalBrokerSecretStore<App> implements BrokerSecretStore<App> {
  constructor(
    private readonly dir: string,
    private readonly appSchema: z.ZodType<App>,
    private readonly broker: LiveBroker,
  ) {}

  get where(): string {
    return this.dir;
  }

  async readApp(): Promise<App> {
    const file = path.join(this.dir, 'app.json');
    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      if (isNotFound(error)) throw new Error(`no ${this.broker} app credentials in ${file}`);
      throw error;
    });
    return parseOrThrow(this.appSchema, parseJson(text, file), `${this.broker} app secret ${file}`);
  }

  /** Stores the app's credentials (the local stack does, for its simulator). */
  async writeApp(app: App): Promise<void> {
    await this.write('app.json', parseOrThrow(this.appSchema, app, `${this.broker} app`));
  }

  async readToken(name: string): Promise<StoredBrokerToken | undefined> {
    const file = path.join(this.dir, `${KiteTokenNameSchema.parse(name)}.json`);
    try {
      const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      const token = parseOrThrow(
        BrokerTokenSchema,
        parseJson(text, file),
        `${this.broker} token ${file}`,
      );
      return { token, version: `${info.mtimeMs}-${info.size}-${info.ino}` };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async writeToken(name: string, token: BrokerToken): Promise<void> {
    const file = `${KiteTokenNameSchema.parse(name)}.json`;
    await this.write(file, parseOrThrow(BrokerTokenSchema, token, `${this.broker} token`));
  }

  private async write(file: string, value: unknown): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = path.join(this.dir, file);
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(value), { mode: 0o600 });
    await rename(temp, target);
  }
}

/** A stage's secrets at one broker in Secrets Manager; a login puts a new version. */
export class SecretsManagerBrokerSecretStore<App> implements BrokerSecretStore<App> {
  private readonly names: ReturnType<typeof brokerSecretNames>;

  constructor(
    private readonly client: SecretsManagerClient,
    stage: AnyStage,
    private readonly broker: LiveBroker,
    private readonly appSchema: z.ZodType<App>,
  ) {
    this.names = brokerSecretNames(stage, broker);
  }

  get where(): string {
    return `Secrets Manager ${this.names.prefix}/*`;
  }

  async readApp(): Promise<App> {
    const id = this.names.app;
    const out = await this.client
      .send(new GetSecretValueCommand({ SecretId: id }))
      .catch((error: unknown) => {
        if (isNotFound(error))
          throw new Error(
            `secret ${id} does not exist: deploy the stage with -c broker=${this.broker}`,
          );
        throw error;
      });
    return parseOrThrow(this.appSchema, parseJson(out.SecretString ?? '', id), `secret ${id}`);
  }

  async readToken(name: string): Promise<StoredBrokerToken | undefined> {
    const id = this.names.token(name);
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: id }));
      // A secret created by the deployment holds "{}" until the first login.
      const raw = parseJson(out.SecretString ?? '', id);
      if (raw !== null && typeof raw === 'object' && Object.keys(raw).length === 0)
        return undefined;
      return {
        token: parseOrThrow(BrokerTokenSchema, raw, `secret ${id}`),
        version: out.VersionId ?? '',
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async writeToken(name: string, token: BrokerToken): Promise<void> {
    const id = this.names.token(name);
    const SecretString = JSON.stringify(
      parseOrThrow(BrokerTokenSchema, token, `${this.broker} token`),
    );
    await this.client
      .send(new PutSecretValueCommand({ SecretId: id, SecretString }))
      .catch((error: unknown) => {
        if (isNotFound(error))
          throw new Error(
            `secret ${id} does not exist: deploy the stage with -c broker=${this.broker}`,
          );
        throw error;
      });
  }
}
