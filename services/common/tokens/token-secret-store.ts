import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  type BrokerToken,
  BrokerTokenSchema,
  brokerSecretNames,
  type TokenBroker,
  TokenNameSchema,
} from '../../../contract/broker-tokens';
import { BROKER_APP_SCHEMAS, type BrokerApp } from '../../../contract/brokers';
import type { AnyStage } from '../../../contract/names';
import { parseOrThrow } from '../../../contract/validation';

/** A stored session and the version it was read at (changes with every login). */
export interface StoredToken {
  readonly token: BrokerToken;
  readonly version: string;
}

/**
 * Where a stage keeps one broker's app credentials and named sessions
 * (`/algo-trading/<stage>/broker/<broker>/...`, see `brokerSecretNames`): Secrets Manager in AWS,
 * a folder locally. The one store of the token operations, the logins and the trading tasks.
 * Values are parsed at the edge with the broker's app schema and the one token schema; a secret
 * that does not parse is an error naming the secret, never a silent default.
 */
export interface TokenSecretStore<B extends TokenBroker = TokenBroker> {
  readonly broker: B;
  /** Where the secrets live, for messages (never a value). */
  readonly where: string;
  /** The app credentials the session `name` logs in with (Upstox: one app per token). */
  readApp(name: string): Promise<BrokerApp<B>>;
  /** The named session, or undefined when none was ever stored. */
  readToken(name: string): Promise<StoredToken | undefined>;
  writeToken(name: string, token: BrokerToken): Promise<void>;
  /** Names of the sessions stored. */
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
  (error as { name?: string })?.name === 'ResourceNotFoundException' ||
  (error as { code?: string })?.code === 'ENOENT';

/**
 * The local stack's store: `<dir>/app.json` (Upstox: `app-<NAME>.json`) and `<dir>/<NAME>.json`,
 * the secret names after the broker's prefix; written atomically, mode 600.
 */
export class LocalTokenSecretStore<B extends TokenBroker> implements TokenSecretStore<B> {
  // The stage only shapes the prefix, which a local file name drops.
  private readonly names: ReturnType<typeof brokerSecretNames>;

  constructor(
    private readonly dir: string,
    readonly broker: B,
  ) {
    this.names = brokerSecretNames('local', broker);
  }

  get where(): string {
    return this.dir;
  }

  private file(secretName: string): string {
    return path.join(this.dir, `${secretName.slice(this.names.prefix.length + 1)}.json`);
  }

  async readApp(name: string): Promise<BrokerApp<B>> {
    const file = this.file(this.names.app(name));
    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      if (isNotFound(error)) throw new Error(`no ${this.broker} app credentials in ${file}`);
      throw error;
    });
    return parseOrThrow(
      BROKER_APP_SCHEMAS[this.broker],
      parseJson(text, file),
      `${this.broker} app secret ${file}`,
    ) as BrokerApp<B>;
  }

  /** Stores the app credentials of `name`'s login (the local stack does, for its simulator). */
  async writeApp(name: string, app: BrokerApp<B>): Promise<void> {
    const schema = BROKER_APP_SCHEMAS[this.broker];
    await this.write(
      this.file(this.names.app(name)),
      parseOrThrow(schema, app, `${this.broker} app`),
    );
  }

  async readToken(name: string): Promise<StoredToken | undefined> {
    const file = this.file(this.names.token(name));
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
    const value = parseOrThrow(BrokerTokenSchema, token, `${this.broker} token`);
    await this.write(this.file(this.names.token(name)), value);
  }

  async listTokens(): Promise<string[]> {
    const files = await readdir(this.dir).catch((error: unknown) => {
      if (isNotFound(error)) return [] as string[];
      throw error;
    });
    return files
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .filter((n) => TokenNameSchema.safeParse(n).success)
      .sort();
  }

  private async write(target: string, value: unknown): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(value), { mode: 0o600 });
    await rename(temp, target);
  }
}

/**
 * A stage's secrets at one broker in Secrets Manager. The deployment creates them holding `{}`
 * (read as "no login yet"); a login puts a new version, which running tasks notice.
 */
export class SecretsManagerTokenSecretStore<B extends TokenBroker> implements TokenSecretStore<B> {
  private readonly names: ReturnType<typeof brokerSecretNames>;

  constructor(
    private readonly client: SecretsManagerClient,
    stage: AnyStage,
    readonly broker: B,
  ) {
    this.names = brokerSecretNames(stage, broker);
  }

  get where(): string {
    return `Secrets Manager ${this.names.prefix}/*`;
  }

  private missing(id: string): Error {
    return new Error(`secret ${id} does not exist: deploy the stage with -c broker=${this.broker}`);
  }

  async readApp(name: string): Promise<BrokerApp<B>> {
    const id = this.names.app(name);
    const out = await this.client
      .send(new GetSecretValueCommand({ SecretId: id }))
      .catch((error: unknown) => {
        throw isNotFound(error) ? this.missing(id) : error;
      });
    const raw = parseJson(out.SecretString ?? '', id);
    if (raw !== null && typeof raw === 'object' && Object.keys(raw).length === 0)
      throw new Error(`secret ${id} is empty: store the ${this.broker} app's credentials in it`);
    return parseOrThrow(BROKER_APP_SCHEMAS[this.broker], raw, `secret ${id}`) as BrokerApp<B>;
  }

  async readToken(name: string): Promise<StoredToken | undefined> {
    const id = this.names.token(name);
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: id }));
      // A secret created by the deployment holds "{}" until the first login.
      const raw = parseJson(out.SecretString ?? '', id);
      if (raw !== null && typeof raw === 'object' && Object.keys(raw).length === 0)
        return undefined;
      const token = parseOrThrow(BrokerTokenSchema, raw, `secret ${id}`);
      return { token, version: out.VersionId ?? '' };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async writeToken(name: string, token: BrokerToken): Promise<void> {
    const id = this.names.token(name);
    const value = parseOrThrow(BrokerTokenSchema, token, `${this.broker} token`);
    await this.client
      .send(new PutSecretValueCommand({ SecretId: id, SecretString: JSON.stringify(value) }))
      .catch((error: unknown) => {
        throw isNotFound(error) ? this.missing(id) : error;
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
        if (TokenNameSchema.safeParse(name).success) names.push(name);
      }
      NextToken = out.NextToken;
    } while (NextToken);
    return names.sort();
  }
}

/** Where a stage's secrets are: Secrets Manager (in AWS), or a folder (the local stack). */
export type TokenSecretsLocation =
  | { readonly kind: 'aws'; readonly client: SecretsManagerClient }
  | { readonly kind: 'local'; readonly dir: string };

/** The store of the stage's secrets at `broker`. */
export function tokenSecretStore<B extends TokenBroker>(
  stage: AnyStage,
  secrets: TokenSecretsLocation,
  broker: B,
): TokenSecretStore<B> {
  return secrets.kind === 'aws'
    ? new SecretsManagerTokenSecretStore(secrets.client, stage, broker)
    : new LocalTokenSecretStore(secrets.dir, broker);
}
