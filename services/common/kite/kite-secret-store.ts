import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  type KiteApp,
  KiteAppSchema,
  type KiteToken,
  KiteTokenNameSchema,
  KiteTokenSchema,
  kiteSecretNames,
} from '../../../contract/kite';
import type { AnyStage } from '../../../contract/names';
import { parseOrThrow } from '../../../contract/validation';

/** A stored token and the version it was read at (changes with every login). */
export interface StoredKiteToken {
  readonly token: KiteToken;
  readonly version: string;
}

/**
 * Where a stage keeps its Kite app credentials and access tokens: Secrets Manager in AWS, a
 * folder under the local stack's directory locally. Values are parsed at the edge; a secret that
 * does not parse is an error naming the secret, never a silent default.
 */
export interface KiteSecretStore {
  /** Where the secrets live, for messages (never a value). */
  readonly where: string;
  readApp(): Promise<KiteApp>;
  /** The named token, or undefined when none was ever stored. */
  readToken(name: string): Promise<StoredKiteToken | undefined>;
  writeToken(name: string, token: KiteToken): Promise<void>;
  /** Names of the tokens stored. */
  listTokens(): Promise<string[]>;
}

const parseJson = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not JSON`);
  }
};

const isNotFound = (error: unknown) =>
  (error as { name?: string; code?: string })?.name === 'ResourceNotFoundException' ||
  (error as { code?: string })?.code === 'ENOENT';

/** The local stack's store: `<dir>/app.json` and `<dir>/<NAME>.json`, written atomically, mode 600. */
export class LocalKiteSecretStore implements KiteSecretStore {
  constructor(private readonly dir: string) {}

  get where(): string {
    return this.dir;
  }

  async readApp(): Promise<KiteApp> {
    const file = path.join(this.dir, 'app.json');
    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      if (isNotFound(error)) throw new Error(`no Kite app credentials in ${file}`);
      throw error;
    });
    return parseOrThrow(KiteAppSchema, parseJson(text, file), `Kite app secret ${file}`);
  }

  /** Stores the app's credentials (the local stack does, for its simulator). */
  async writeApp(app: KiteApp): Promise<void> {
    await this.write('app.json', parseOrThrow(KiteAppSchema, app, 'Kite app credentials'));
  }

  async readToken(name: string): Promise<StoredKiteToken | undefined> {
    const file = path.join(this.dir, `${KiteTokenNameSchema.parse(name)}.json`);
    try {
      const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      const token = parseOrThrow(KiteTokenSchema, parseJson(text, file), `Kite token ${file}`);
      return { token, version: `${info.mtimeMs}-${info.size}-${info.ino}` };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async writeToken(name: string, token: KiteToken): Promise<void> {
    const file = `${KiteTokenNameSchema.parse(name)}.json`;
    await this.write(file, parseOrThrow(KiteTokenSchema, token, 'Kite token'));
  }

  async listTokens(): Promise<string[]> {
    const files = await readdir(this.dir).catch((error: unknown) => {
      if (isNotFound(error)) return [] as string[];
      throw error;
    });
    return files
      .filter((f) => f.endsWith('.json') && f !== 'app.json')
      .map((f) => f.slice(0, -5))
      .filter((n) => KiteTokenNameSchema.safeParse(n).success)
      .sort();
  }

  private async write(file: string, value: unknown): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = path.join(this.dir, file);
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(value), { mode: 0o600 });
    await rename(temp, target);
  }
}

/**
 * A stage's Kite secrets in Secrets Manager (`/algo-trading/<stage>/broker/kite/...`). The
 * deployment creates the secrets; a login puts a new version, which running tasks notice.
 */
export class SecretsManagerKiteSecretStore implements KiteSecretStore {
  private readonly names: ReturnType<typeof kiteSecretNames>;

  constructor(
    private readonly client: SecretsManagerClient,
    stage: AnyStage,
  ) {
    this.names = kiteSecretNames(stage);
  }

  get where(): string {
    return `Secrets Manager ${this.names.prefix}/*`;
  }

  async readApp(): Promise<KiteApp> {
    const id = this.names.app;
    const out = await this.client
      .send(new GetSecretValueCommand({ SecretId: id }))
      .catch((error: unknown) => {
        if (isNotFound(error))
          throw new Error(`secret ${id} does not exist: deploy the stage with -c broker=kite`);
        throw error;
      });
    return parseOrThrow(KiteAppSchema, parseJson(out.SecretString ?? '', id), `secret ${id}`);
  }

  async readToken(name: string): Promise<StoredKiteToken | undefined> {
    const id = this.names.token(name);
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: id }));
      // A secret created by the deployment holds "{}" until the first login.
      const raw = parseJson(out.SecretString ?? '', id);
      if (raw !== null && typeof raw === 'object' && Object.keys(raw).length === 0)
        return undefined;
      const token = parseOrThrow(KiteTokenSchema, raw, `secret ${id}`);
      return { token, version: out.VersionId ?? '' };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async writeToken(name: string, token: KiteToken): Promise<void> {
    const id = this.names.token(name);
    await this.client
      .send(
        new PutSecretValueCommand({
          SecretId: id,
          SecretString: JSON.stringify(parseOrThrow(KiteTokenSchema, token, 'Kite token')),
        }),
      )
      .catch((error: unknown) => {
        if (isNotFound(error))
          throw new Error(`secret ${id} does not exist: deploy the stage with -c broker=kite`);
        throw error;
      });
  }

  async listTokens(): Promise<string[]> {
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const out = await this.client.send(
        new ListSecretsCommand({
          Filters: [{ Key: 'name', Values: [`${this.names.prefix}/`] }],
          NextToken,
        }),
      );
      for (const s of out.SecretList ?? []) {
        const name = s.Name?.slice(this.names.prefix.length + 1) ?? '';
        if (name !== 'app' && KiteTokenNameSchema.safeParse(name).success) names.push(name);
      }
      NextToken = out.NextToken;
    } while (NextToken);
    return names.sort();
  }
}
