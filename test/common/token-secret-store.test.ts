import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerTokenSecretStore } from '../../services/common/tokens/token-secret-store';

const sm = mockClient(SecretsManagerClient);
const token = {
  access_token: 'at-1',
  user_id: 'U1',
  login_time: '2026-11-26T02:00:00.000Z',
  expires_at: '2026-11-26T22:00:00.000Z',
};
const store = () =>
  new SecretsManagerTokenSecretStore(
    new SecretsManagerClient({ region: 'ap-south-1' }),
    'prod',
    'upstox',
  );

afterEach(() => sm.reset());

describe('SecretsManagerTokenSecretStore', () => {
  it('reads a token with its version, and a new version after a login', async () => {
    // Arrange
    sm.on(GetSecretValueCommand, { SecretId: '/algo-trading/prod/broker/upstox/WEBSOCKET2' })
      .resolvesOnce({ SecretString: JSON.stringify(token), VersionId: 'v1' })
      .resolvesOnce({
        SecretString: JSON.stringify({ ...token, access_token: 'at-2' }),
        VersionId: 'v2',
      });

    // Act
    const first = await store().readToken('WEBSOCKET2');
    const second = await store().readToken('WEBSOCKET2');

    // Assert
    expect(first).toEqual({ token, version: 'v1' });
    expect(second?.version).toBe('v2');
    expect(second?.token.access_token).toBe('at-2');
  });

  it('reads a missing secret, or one the deployment created empty, as no token (MISSING)', async () => {
    sm.on(GetSecretValueCommand, { SecretId: '/algo-trading/prod/broker/upstox/PRIMARY' })
      .rejects(
        Object.assign(new Error('Secrets Manager can’t find the specified secret.'), {
          name: 'ResourceNotFoundException',
        }),
      )
      .on(GetSecretValueCommand, { SecretId: '/algo-trading/prod/broker/upstox/WEBSOCKET1' })
      .resolves({ SecretString: '{}', VersionId: 'v0' });

    expect(await store().readToken('PRIMARY')).toBeUndefined();
    expect(await store().readToken('WEBSOCKET1')).toBeUndefined();
  });

  it("fails with the service's own words when access is denied", async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(
        new Error(
          'User: arn:aws:sts::1:assumed-role/x is not authorized to perform: secretsmanager:GetSecretValue',
        ),
        {
          name: 'AccessDeniedException',
        },
      ),
    );

    await expect(store().readToken('PRIMARY')).rejects.toThrow(
      /not authorized to perform: secretsmanager:GetSecretValue/,
    );
  });

  it("reads each Upstox token's own app, and writes a validated token as a new version", async () => {
    // Arrange
    const app2 = {
      client_id: 'c2',
      client_secret: 's2',
      redirect_uri: 'https://desk.example/upstox/callback',
    };
    sm.on(GetSecretValueCommand, {
      SecretId: '/algo-trading/prod/broker/upstox/app-WEBSOCKET2',
    }).resolves({ SecretString: JSON.stringify(app2) });
    sm.on(PutSecretValueCommand).resolves({ VersionId: 'v3' });

    // Act
    const app = await store().readApp('WEBSOCKET2');
    await store().writeToken('WEBSOCKET2', token);
    const bad = store().writeToken('WEBSOCKET2', { ...token, access_token: '' });

    // Assert
    expect(app).toEqual(app2);
    expect(sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: '/algo-trading/prod/broker/upstox/WEBSOCKET2',
      SecretString: JSON.stringify(token),
    });
    await expect(bad).rejects.toThrow(/access_token/);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(1);
  });

  it("keeps Angel One's refresh and feed tokens, and refuses a field no broker writes", async () => {
    // Arrange
    const angel = new SecretsManagerTokenSecretStore(
      new SecretsManagerClient({ region: 'ap-south-1' }),
      'prod',
      'angelone',
    );
    const session = { ...token, refresh_token: 'rt-1', feed_token: 'ft-1' };
    sm.on(GetSecretValueCommand, { SecretId: '/algo-trading/prod/broker/angelone/PRIMARY' })
      .resolvesOnce({ SecretString: JSON.stringify(session), VersionId: 'v1' })
      .resolvesOnce({ SecretString: JSON.stringify({ ...session, extra: { x: 'y' } }) });

    // Act
    const read = await angel.readToken('PRIMARY');
    const bad = angel.readToken('PRIMARY');

    // Assert
    expect(read?.token).toEqual(session);
    await expect(bad).rejects.toThrow(
      /secret \/algo-trading\/prod\/broker\/angelone\/PRIMARY.*extra/,
    );
  });

  it("says what to store when the app secret is still the deployment's {}", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{}' });

    await expect(store().readApp('PRIMARY')).rejects.toThrow(
      "secret /algo-trading/prod/broker/upstox/app-PRIMARY is empty: store the upstox app's credentials in it",
    );
  });
});
