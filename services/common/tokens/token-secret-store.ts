import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import type * as z from 'zod';
import {
  BrokerTokenSchema,
  brokerSecretNames,
  type TokenBroker,
  TokenNameSchema,
} from '../../../contract/broker-tokens';
import type { AnyStage } from '../../../contract/names';
import { parseOrThrow } from '../../../contract/validation';

/** A stored token and the version it was read at (changes with every login). */
export interface StoredToken<T> {
  readonly token: T;
  readonly version: string;
}

/**
 * Where a stage keeps a broker's app credentials and access tokens: Secrets Manager in AWS, a
 * folder locally. Values are parsed at the edge; a secret that does not parse is an error naming
 * the secret, never a silent default.
 */
export interface TokenSecretStore<App, Token> {
  /** Where the secrets live, for messages (never a value). */
  readonly where: string;
  /** The app credentials the login of `name` uses (Upstox: one app per token). */
  readApp(name: string): Promise<App>;
  /** The named token, or undefined when none was ever stored. */
  readToken(name: string): Promise<StoredToken<Token> | undefined>;
  writeToken(name: string, token: Token): Promise<void>;
  /** Names of the tokens stored. */
  listTokens(): Promise<string[]>;
}

/** What a broker's secrets hold: its app's credentials and its tokens, as zod schemas. */
export interface SecretLayout<App, Token> {
  readonly broker: TokenBroker;
  readonly appSchema: z.ZodType<App>;
  readonly tokenSchema: z.ZodType<Token>;
  /** Said when the app secret is not there. */
  readonly missingApp: string;
}

/** The layout of any broker whose token is the broker-neutral one and whose app is any object. */
export function neutralLayout<App>(
  broker: TokenBroker,
  appSchema: z.ZodType<App>,
): SecretLayout<App, z.output<typeof BrokerTokenSchema>> {
  return {
    broker,
    appSchema,
    tokenSchema: BrokerTokenSchema,
    missingApp: `deploy the stage with -c broker=${broker} and store the app's credentials`,
  };
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

/** The file of a secret in a local store: its name after the broker's prefix. */
const localFile = (prefix: string, secretName: string) =>
  `${secretName.slice(prefix.length + 1)}.json`;

/**
 * The local stack's store: `<dir>/app.json` (or `app-<NAME>.json`) and `<dir>/<NAME>.json`,
 * written atomically, mode 600.
 */
export class LocalTokenSecretStore<App, Token> implements TokenSecretStore<App, Token> {
  private readonly names: ReturnType<typeof brokerSecretNames>;

  constructor(
    private readonly dir: string,
    private readonly layout: SecretLayout<App, Token>,
  ) {
    // The stage only shapes the prefix, which a local file name drops.
    this.names = brokerSecretNames('local', layout.broker);
  }

  get where(): string {
    return this.dir;
  }

  async readApp(name: string): Promise<App> {
    const file = path.join(this.dir, localFile(this.names.prefix, this.names.app(name)));
    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      if (isNotFound(error)) throw new Error(`no ${this.layout.broker} app credentials in ${file}`);
      throw error;
    });
    return parseOrThrow(
      this.layout.appSchema,
      parseJson(text, file),
      `${this.layout.broker} app secret ${file}`,
    );
  }

  /** Stores the app's credentials (the local stack does, for its simulator). */
  async writeApp(name: string, app: App): Promise<void> {
    const value = parseOrThrow(this.layout.appSchema, app, `${this.layout.broker} app credentials`);
    await this.write(localFile(this.names.prefix, this.names.app(name)), value);
  }

  async readToken(name: string): Promise<StoredToken<Token> | undefined> {
    const file = path.join(this.dir, localFile(this.names.prefix, this.names.token(name)));
    try {
      const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      const token = parseOrThrow(
        this.layout.tokenSchema,
        parseJson(text, file),
        `${this.layout.broker} token ${file}`,
      );
      return { token, version: `${info.mtimeMs}-${info.size}-${info.ino}` };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async writeToken(name: string, token: Token): Promise<void> {
    const value = parseOrThrow(this.layout.tokenSchema, token, `${this.layout.broker} token`);
    await this.write(localFile(this.names.prefix, this.names.token(name)), value);
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

  private async write(file: string, value: unknown): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = path.join(this.dir, file);
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(value), { mode: 0o600 });
    await rename(temp, target);
  }
}

/**
 * A stage's broker secrets in Secrets Manager (`/algo-trading/<stage>/broker/<broker>/...`), through
 * the SDK's default credentials. The deployment creates the secrets holding `{}` (read as "no
 * login yet"); a login puts a new version, which running tasks notice.
 */
export class SecretsManagerTokenSecretStore<App, Token> implements TokenSecretStore<App, Token> {
  private readonly names: ReturnType<typeof brokerSecretNames>;

  constructor(
    private readonly client: SecretsManagerClient,
    stage: AnyStage,
    private readonly layout: SecretLayout<App, Token>,
  ) {
    this.names = brokerSecretNames(stage, layout.broker);
  }

  get where(): string {
    return `Secrets Manager ${this.names.prefix}/*`;
  }

  async readApp(name: string): Promise<App> {
    const id = this.names.app(name);
    const out = await this.client
      .send(new GetSecretValueCommand({ SecretId: id }))
      .catch((error: unknown) => {
        if (isNotFound(error))
          throw new Error(`secret ${id} does not exist: ${this.layout.missingApp}`);
        throw error;
      });
    return parseOrThrow(
      this.layout.appSchema,
      parseJson(out.SecretString ?? '', id),
      `secret ${id}`,
    );
  }

  async readToken(name: string): Promise<StoredToken<Token> | undefined> {
    const id = this.names.token(name);
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: id }));
      // A secret created by the deployment holds "{}" until the first login.
      const raw = parseJson(out.SecretString ?? '', id);
      if (raw !== null && typeof raw === 'object' && Object.keys(raw).length === 0)
        return undefined;
      const token = parseOrThrow(this.layout.tokenSchema, raw, `secret ${id}`);
      return { token, version: out.VersionId ?? '' };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async writeToken(name: string, token: Token): Promise<void> {
    const id = this.names.token(name);
    const value = parseOrThrow(this.layout.tokenSchema, token, `${this.layout.broker} token`);
    await this.client
      .send(new PutSecretValueCommand({ SecretId: id, SecretString: JSON.stringify(value) }))
      .catch((error: unknown) => {
        if (isNotFound(error))
          throw new Error(
            `secret ${id} does not exist: deploy the stage with -c broker=${this.layout.broker}`,
          );
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
        if (TokenNameSchema.safeParse(name).success) names.push(name);
      }
      NextToken = out.NextToken;
    } while (NextToken);
    return names.sort();
  }
}
