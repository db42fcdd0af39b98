import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { brokerSecretNames, type TokenBroker } from '../../contract/broker-tokens';
import type { AnyStage } from '../../contract/names';
import type { BrokerSecretSet } from './broker-secret-set';

export interface BrokerSecretsProps {
  readonly stage: AnyStage;
  readonly broker: TokenBroker;
  /** The key the secrets are encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** The named sessions (`tradeops token login --name`), one secret each. */
  readonly tokenNames: readonly string[];
}

const HOLDS: Readonly<Record<TokenBroker, { label: string; app: string; rotation: string }>> = {
  kite: {
    label: 'Kite Connect',
    app: 'api_key and api_secret',
    rotation:
      "Kite credentials cannot be rotated by a Lambda: the access token is renewed daily by a person's login (tradeops token login), the app's key and secret in Kite's developer console.",
  },
  upstox: {
    label: 'Upstox',
    app: 'client_id, client_secret and redirect_uri of this token’s API app',
    rotation:
      "Upstox credentials cannot be rotated by a Lambda: each access token is renewed daily by a person's OAuth login (tradeops token login), each app's secret in Upstox's developer console.",
  },
  angelone: {
    label: 'Angel One',
    app: 'api_key, client_code, PIN and TOTP seed',
    rotation:
      "Angel One credentials cannot be rotated by a Lambda: the session is renewed by the TOTP login (tradeops token login, the token check), the PIN and TOTP seed in Angel One's own settings.",
  },
};

/**
 * A stage's secrets at its broker (a `BrokerSecretSet`: the task and the ops functions are granted
 * exactly these), under `/algo-trading/<stage>/broker/<broker>/` as `brokerSecretNames` lays them
 * out: the app credentials (`app`; Upstox: `app-<NAME>`, each token its own API app), written by a
 * person, and one per named session, written by `tradeops token login`. Each is created holding
 * `{}`, which the secret store reads as "no login yet": no credential is ever in a template.
 * Retained, so that a stack change does not lose the apps or the day's logins.
 */
export class BrokerSecrets extends Construct implements BrokerSecretSet {
  readonly broker: TokenBroker;
  private readonly names: ReturnType<typeof brokerSecretNames>;
  private readonly apps = new Map<string, secretsmanager.Secret>();
  private readonly tokens = new Map<string, secretsmanager.Secret>();

  constructor(scope: Construct, id: string, props: BrokerSecretsProps) {
    super(scope, id);
    this.broker = props.broker;
    const names = brokerSecretNames(props.stage, props.broker);
    this.names = names;
    const holds = HOLDS[props.broker];
    // The data key lives in the data stack: a grant on it would add the reader to its key policy
    // and make the data stack depend on this one. By reference, `grantRead` puts the decrypt (via
    // Secrets Manager only) in the reader's own policy.
    const key = kms.Key.fromKeyArn(this, 'Key', props.encryptionKey.keyArn);
    const secret = (secretId: string, secretName: string, what: string) => {
      const s = new secretsmanager.Secret(this, secretId, {
        secretName,
        description: `${holds.label}: ${what}, written by a person (never in a template)`,
        encryptionKey: key,
        secretObjectValue: {},
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(s).acknowledge({ id: 'AwsSolutions-SMG4', reason: holds.rotation });
      return s;
    };
    for (const name of new Set(props.tokenNames)) {
      const app = names.app(name);
      if (!this.apps.has(app))
        this.apps.set(app, secret(names.appPerToken ? `App${name}` : 'App', app, holds.app));
      this.tokens.set(name, secret(`Token${name}`, names.token(name), 'a session'));
    }
  }

  /** The app credentials the session `name` logs in with (Upstox: its own app). */
  appOf(name: string): secretsmanager.ISecret {
    return this.pick(this.apps, this.names.app(this.known(name)));
  }

  get appSecrets(): secretsmanager.ISecret[] {
    return [...this.apps.values()];
  }

  get tokenSecrets(): secretsmanager.ISecret[] {
    return [...this.tokens.values()];
  }

  /** The secret of a named session; throws for a name this stage does not have. */
  token(name: string): secretsmanager.ISecret {
    return this.pick(this.tokens, this.known(name));
  }

  private known(name: string): string {
    if (!this.tokens.has(name))
      throw new Error(
        `no ${this.broker} token secret named ${name}: the stage has ${[...this.tokens.keys()].join(', ')}`,
      );
    return name;
  }

  private pick(from: Map<string, secretsmanager.Secret>, key: string): secretsmanager.Secret {
    const found = from.get(key);
    if (!found) throw new Error(`no ${this.broker} secret ${key}`);
    return found;
  }
}
