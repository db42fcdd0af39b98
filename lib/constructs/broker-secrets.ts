import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { brokerSecretNames, type LiveBroker } from '../../contract/brokers';
import type { AnyStage } from '../../contract/names';
import type { BrokerSecretSet } from './broker-secret-set';

export interface BrokerSecretsProps {
  readonly stage: AnyStage;
  /** Upstox or Angel One (Kite has `KiteSecrets`). */
  readonly broker: LiveBroker;
  /** The key the secrets are encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** The named sessions (`tradeops token login --name`), one secret each. */
  readonly tokenNames: readonly string[];
}

const HOLDS: Readonly<Record<LiveBroker, { label: string; app: string; rotation: string }>> = {
  upstox: {
    label: 'Upstox',
    app: 'client_id, client_secret and redirect_uri',
    rotation:
      "Upstox credentials cannot be rotated by a Lambda: each access token is renewed daily by a person's OAuth login (tradeops token login), the app's secret in Upstox's developer console.",
  },
  angelone: {
    label: 'Angel One',
    app: 'api_key, client_code, PIN and TOTP seed',
    rotation:
      "Angel One credentials cannot be rotated by a Lambda: the session is renewed by the TOTP login (tradeops token login), the PIN and TOTP seed in Angel One's own settings.",
  },
};

/**
 * A stage's secrets at Upstox or Angel One, under `/algo-trading/<stage>/broker/<broker>/`:
 * `app` (written by a person) and one per named session (written by `tradeops token login`).
 * Each is created holding `{}`, which the secret store reads as "no login yet": no credential is
 * ever in a template. Retained, so that a stack change does not lose the app or the day's login.
 */
export class BrokerSecrets extends Construct implements BrokerSecretSet {
  readonly broker: LiveBroker;
  readonly app: secretsmanager.Secret;
  private readonly tokens = new Map<string, secretsmanager.Secret>();

  constructor(scope: Construct, id: string, props: BrokerSecretsProps) {
    super(scope, id);
    this.broker = props.broker;
    const names = brokerSecretNames(props.stage, props.broker);
    const holds = HOLDS[props.broker];
    // By reference, as in KiteSecrets: the grant stays in the reader's policy, not the key's.
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
    this.app = secret('App', names.app, holds.app);
    for (const name of new Set(props.tokenNames))
      this.tokens.set(name, secret(`Token${name}`, names.token(name), 'a session'));
  }

  get appSecrets(): secretsmanager.ISecret[] {
    return [this.app];
  }

  get tokenSecrets(): secretsmanager.ISecret[] {
    return [...this.tokens.values()];
  }

  /** The secret of a named session; throws for a name this stage does not have. */
  token(name: string): secretsmanager.ISecret {
    const secret = this.tokens.get(name);
    if (!secret)
      throw new Error(
        `no token secret named ${name}: the stage has ${[...this.tokens.keys()].join(', ')}`,
      );
    return secret;
  }
}
