import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { TokenBroker } from '../../contract/broker-tokens';

/** A broker's secrets as a stage deploys them: its app credentials and one per named token. */
export interface BrokerSecretSet {
  readonly broker: TokenBroker;
  /** The app credentials (Upstox: one app per token). */
  readonly appSecrets: readonly secretsmanager.ISecret[];
  /** One per named token of the stage's set, written by a login. */
  readonly tokenSecrets: readonly secretsmanager.ISecret[];
}

/**
 * An ops function's access to exactly the stage broker's secrets, by ARN. `read`: the app
 * credentials and the tokens (prove them, log them out); `renew`: also put new token versions (an
 * unattended login's renewal), never the app's. Hand-written like the functions' other secrets:
 * a grant would add the role to the data key's policy in the data stack (a cycle); the key is
 * allowed through Secrets Manager only.
 */
export function brokerSecretStatements(
  access: 'read' | 'renew',
  secrets: BrokerSecretSet,
  key: { readonly dataKeyArn: string; readonly region: string },
): iam.PolicyStatement[] {
  const viaSecretsManager = {
    StringEquals: { 'kms:ViaService': `secretsmanager.${key.region}.amazonaws.com` },
  };
  const statements = [
    new iam.PolicyStatement({
      sid: 'ReadBrokerSecrets',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [...secrets.appSecrets, ...secrets.tokenSecrets].map((s) => s.secretArn),
    }),
  ];
  if (access === 'renew')
    statements.push(
      new iam.PolicyStatement({
        sid: 'RenewBrokerTokens',
        actions: ['secretsmanager:PutSecretValue'],
        resources: secrets.tokenSecrets.map((s) => s.secretArn),
      }),
      new iam.PolicyStatement({
        sid: 'EncryptBrokerTokens',
        actions: ['kms:GenerateDataKey'],
        resources: [key.dataKeyArn],
        conditions: viaSecretsManager,
      }),
    );
  return statements;
}
