import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { kiteSecretNames } from '../../contract/kite';
import type { AnyStage } from '../../contract/names';
import type { BrokerSecretSet } from './broker-secret-set';

export interface KiteSecretsProps {
  readonly stage: AnyStage;
  /** The key the secrets are encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** The named access tokens (`tradeops token login --name`), one secret each. */
  readonly tokenNames: readonly string[];
}

/**
 * A stage's Kite Connect secrets (a `BrokerSecretSet`: the ops functions are granted exactly these), under `/algo-trading/<stage>/broker/kite/`: `app` (the api key
 * and secret, written by a person) and one per named access token (written daily by
 * `tradeops token login`). Each is created holding `{}`, which the secret store reads as "no login
 * yet": no credential is ever in a template. Retained, so that a stack change does not lose the
 * app's credentials or the day's login.
 */
export class KiteSecrets extends Construct implements BrokerSecretSet {
  readonly broker = 'kite';
  readonly app: secretsmanager.Secret;
  private readonly tokens = new Map<string, secretsmanager.Secret>();

  constructor(scope: Construct, id: string, props: KiteSecretsProps) {
    super(scope, id);
    const names = kiteSecretNames(props.stage);
    // The data key lives in the data stack: a grant on it would add the task role to its key
    // policy and make the data stack depend on this one. By reference, `grantRead` puts the
    // decrypt (via Secrets Manager only) in the reader's own policy; the key policy already lets
    // the account's IAM policies grant it.
    const key = kms.Key.fromKeyArn(this, 'Key', props.encryptionKey.keyArn);
    this.app = this.emptySecret('App', names.app, key, 'api_key and api_secret');
    for (const name of new Set(props.tokenNames)) {
      this.tokens.set(
        name,
        this.emptySecret(`Token${name}`, names.token(name), key, 'an access token'),
      );
    }
  }

  get appSecrets(): secretsmanager.ISecret[] {
    return [this.app];
  }

  get tokenSecrets(): secretsmanager.ISecret[] {
    return [...this.tokens.values()];
  }

  /** The secret of a named access token; throws for a name this stage does not have. */
  token(name: string): secretsmanager.ISecret {
    const secret = this.tokens.get(name);
    if (!secret) {
      throw new Error(
        `no Kite token secret named ${name}: the stage has ${[...this.tokens.keys()].join(', ')}`,
      );
    }
    return secret;
  }

  private emptySecret(
    id: string,
    secretName: string,
    encryptionKey: kms.IKey,
    holds: string,
  ): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, id, {
      secretName,
      description: `Kite Connect: ${holds}, written by a person (never in a template)`,
      encryptionKey,
      secretObjectValue: {},
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "Kite credentials cannot be rotated by a Lambda: the access token is renewed daily by a person's login (tradeops token login), the app's key and secret in Kite's developer console.",
    });
    return secret;
  }
}
