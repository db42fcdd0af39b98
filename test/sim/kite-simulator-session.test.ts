import { createHash } from 'node:crypto';
import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import {
  loggedInClient,
  rejectionOf,
  SIM_CREDENTIALS,
  sdkClient,
  startTestSimulator,
} from './kite-sim-support';

describe('Kite simulator: login and session through the official SDK', () => {
  let simulator: KiteSimulator;
  let clock = Date.parse('2025-03-10T04:00:00Z');

  beforeAll(async () => {
    simulator = await startTestSimulator({ now: () => clock });
  });
  afterAll(() => simulator.stop());

  it('redirects the login URL to the redirect URL with a request_token that generateSession exchanges', async () => {
    // Arrange
    const login = await fetch(`${simulator.loginUrl}?api_key=${SIM_CREDENTIALS.apiKey}&v=3`, {
      redirect: 'manual',
    });
    const location = new URL(login.headers.get('location') ?? '');
    const requestToken = location.searchParams.get('request_token') ?? '';
    const kite = sdkClient(simulator);

    // Act
    const session = await kite.generateSession(requestToken, SIM_CREDENTIALS.apiSecret);
    const profile = await kite.getProfile();

    // Assert
    expect(login.status).toBe(302);
    expect(location.searchParams.get('status')).toBe('success');
    expect(session.user_id).toBe(SIM_CREDENTIALS.userId);
    expect(session.access_token).toMatch(/^[0-9a-f]{32}$/);
    expect(session.login_time).toEqual(new Date('2025-03-10 09:30:00'));
    expect(profile.user_id).toBe(SIM_CREDENTIALS.userId);
  });

  it('refuses a wrong checksum with a TokenException', async () => {
    const kite = sdkClient(simulator);
    const rejection = await rejectionOf(
      kite.generateSession(simulator.control.issueRequestToken(), 'not-the-secret'),
    );
    expect(rejection).toMatchObject({
      error_type: 'TokenException',
      message: 'Invalid `checksum`.',
    });
  });

  it('refuses a reused request_token', async () => {
    const requestToken = simulator.control.issueRequestToken();
    await sdkClient(simulator).generateSession(requestToken, SIM_CREDENTIALS.apiSecret);

    const rejection = await rejectionOf(
      sdkClient(simulator).generateSession(requestToken, SIM_CREDENTIALS.apiSecret),
    );

    expect(rejection).toMatchObject({
      error_type: 'TokenException',
      message: 'Token is invalid or has expired.',
    });
  });

  it('refuses an unknown and an expired request_token alike', async () => {
    const stale = simulator.control.issueRequestToken();
    clock += 6 * 60_000;

    const unknown = await rejectionOf(
      sdkClient(simulator).generateSession('f'.repeat(32), SIM_CREDENTIALS.apiSecret),
    );
    const expired = await rejectionOf(
      sdkClient(simulator).generateSession(stale, SIM_CREDENTIALS.apiSecret),
    );

    expect(unknown.error_type).toBe('TokenException');
    expect(expired).toMatchObject({
      error_type: 'TokenException',
      message: 'Token is invalid or has expired.',
    });
  });

  it('ends the session on invalidateAccessToken', async () => {
    const { kite } = await loggedInClient(simulator);
    await kite.getProfile();

    await kite.invalidateAccessToken();
    const rejection = await rejectionOf(kite.getProfile());

    expect(rejection).toMatchObject({
      error_type: 'TokenException',
      message: 'Incorrect `api_key` or `access_token`.',
    });
  });

  it('lets the access token die at the next 06:00 IST flush', async () => {
    const { kite } = await loggedInClient(simulator);
    const hook = jest.fn();
    kite.setSessionExpiryHook(hook);
    await kite.getMargins();

    clock = Date.parse('2025-03-11T00:30:00Z');
    const rejection = await rejectionOf(kite.getMargins());

    expect(rejection.error_type).toBe('TokenException');
    expect(hook).toHaveBeenCalledTimes(1);
  });

  it('requires X-Kite-Version 3 and the token header on raw requests', async () => {
    const { session } = await loggedInClient(simulator);
    const authorization = `token ${SIM_CREDENTIALS.apiKey}:${session.access_token}`;

    const noVersion = await fetch(`${simulator.apiRoot}/user/profile`, {
      headers: { authorization },
    });
    const noToken = await fetch(`${simulator.apiRoot}/user/profile`, {
      headers: { 'x-kite-version': '3' },
    });

    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({ status: 'error', error_type: 'InputException' });
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toMatchObject({ status: 'error', error_type: 'TokenException' });
  });

  it('computes the checksum the SDK computes: sha256(api_key + request_token + api_secret)', async () => {
    const requestToken = simulator.control.issueRequestToken();
    const checksum = createHash('sha256')
      .update(SIM_CREDENTIALS.apiKey + requestToken + SIM_CREDENTIALS.apiSecret)
      .digest('hex');

    const response = await fetch(`${simulator.apiRoot}/session/token`, {
      method: 'POST',
      headers: { 'x-kite-version': '3', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        api_key: SIM_CREDENTIALS.apiKey,
        request_token: requestToken,
        checksum,
      }),
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'success',
      data: { user_id: SIM_CREDENTIALS.userId, api_key: SIM_CREDENTIALS.apiKey },
    });
  });
});
