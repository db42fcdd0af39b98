import {
  GetSecretValueCommand,
  type SecretsManagerClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-secrets-manager';
import type { AwsStub } from 'aws-sdk-client-mock';

/**
 * Secrets Manager under `secrets` (a stage's Kite prefix) with the app, a PRIMARY token that
 * expired long ago and a WEBSOCKET1 the deployment created empty: judging either needs no call
 * to Kite.
 */
export function answerExpiredKiteTokens(
  sm: AwsStub<ServiceInputTypes, ServiceOutputTypes, SecretsManagerClientResolvedConfig>,
  secrets: string,
): void {
  sm.on(GetSecretValueCommand, { SecretId: `${secrets}/app` })
    .resolves({ SecretString: JSON.stringify({ api_key: 'key1', api_secret: 'sec1' }) })
    .on(GetSecretValueCommand, { SecretId: `${secrets}/PRIMARY` })
    .resolves({
      VersionId: 'v1',
      SecretString: JSON.stringify({
        access_token: 'at-old',
        user_id: 'AB1234',
        login_time: '2020-01-01T03:00:00.000Z',
        expires_at: '2020-01-02T00:30:00.000Z',
      }),
    })
    .on(GetSecretValueCommand, { SecretId: `${secrets}/WEBSOCKET1` })
    .resolves({ VersionId: 'v0', SecretString: '{}' });
}
