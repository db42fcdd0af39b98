import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DEFAULT_KITE_TOKEN_NAME,
  type KiteApp,
  KiteAppSchema,
  type KiteToken,
  KiteTokenSchema,
} from '../../../contract/kite';
import type { AnyStage } from '../../../contract/names';
import {
  LocalTokenSecretStore,
  type SecretLayout,
  SecretsManagerTokenSecretStore,
  type StoredToken,
  type TokenSecretStore,
} from '../tokens/token-secret-store';

/** A stored token and the version it was read at (changes with every login). */
export type StoredKiteToken = StoredToken<KiteToken>;

/**
 * Where a stage keeps its Kite app credentials and access tokens (one app for every token): the
 * broker-neutral store (services/common/tokens) with Kite's schemas.
 */
export interface KiteSecretStore extends Omit<TokenSecretStore<KiteApp, KiteToken>, 'readApp'> {
  readApp(name?: string): Promise<KiteApp>;
}

const KITE_LAYOUT: SecretLayout<KiteApp, KiteToken> = {
  broker: 'kite',
  appSchema: KiteAppSchema,
  tokenSchema: KiteTokenSchema,
  missingApp: 'deploy the stage with -c broker=kite',
};

/** The local stack's store: `<dir>/app.json` and `<dir>/<NAME>.json`, written atomically, mode 600. */
export class LocalKiteSecretStore implements KiteSecretStore {
  private readonly store: LocalTokenSecretStore<KiteApp, KiteToken>;

  constructor(dir: string) {
    this.store = new LocalTokenSecretStore(dir, KITE_LAYOUT);
  }

  get where(): string {
    return this.store.where;
  }

  readApp(): Promise<KiteApp> {
    return this.store.readApp(DEFAULT_KITE_TOKEN_NAME);
  }

  /** Stores the app's credentials (the local stack does, for its simulator). */
  writeApp(app: KiteApp): Promise<void> {
    return this.store.writeApp(DEFAULT_KITE_TOKEN_NAME, app);
  }

  readToken(name: string): Promise<StoredKiteToken | undefined> {
    return this.store.readToken(name);
  }

  writeToken(name: string, token: KiteToken): Promise<void> {
    return this.store.writeToken(name, token);
  }

  listTokens(): Promise<string[]> {
    return this.store.listTokens();
  }
}

/**
 * A stage's Kite secrets in Secrets Manager (`/algo-trading/<stage>/broker/kite/...`). The
 * deployment creates the secrets; a login puts a new version, which running tasks notice.
 */
export class SecretsManagerKiteSecretStore
  extends SecretsManagerTokenSecretStore<KiteApp, KiteToken>
  implements KiteSecretStore
{
  constructor(client: SecretsManagerClient, stage: AnyStage) {
    super(client, stage, KITE_LAYOUT);
  }

  override readApp(): Promise<KiteApp> {
    return super.readApp(DEFAULT_KITE_TOKEN_NAME);
  }
}
