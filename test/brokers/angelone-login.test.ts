import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AngelOneApp } from '../../contract/brokers';
import type { AngelSimulator } from '../../scripts/sim/angelone/simulator';
import {
  angelJwtExpiry,
  loginAngelOne,
  renewAngelOneSession,
} from '../../services/common/angelone/angelone-login';
import { createSmartApi } from '../../services/common/angelone/smartapi';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { ANGEL_SIM_ACCOUNT, startTestAngelSimulator, TEST_NETWORK } from './angelone-venue';

const HOUR = 3_600_000;

describe('angelJwtExpiry', () => {
  it("reads the JWT's exp claim", () => {
    const payload = Buffer.from(JSON.stringify({ exp: 1_800_000_000 })).toString('base64url');

    expect(angelJwtExpiry(`h.${payload}.s`, 0)).toBe(1_800_000_000_000);
  });

  it('falls back to 24 hours after the login for a token it cannot read', () => {
    expect(angelJwtExpiry('not-a-jwt', 1000)).toBe(1000 + 24 * HOUR);
  });
});

describe('Angel One unattended login and renewal against the simulator', () => {
  let simulator: AngelSimulator;
  let dir: string;
  let store: LocalTokenSecretStore<'angelone'>;
  let clock: number;
  const app: AngelOneApp = {
    api_key: ANGEL_SIM_ACCOUNT.apiKey,
    client_code: ANGEL_SIM_ACCOUNT.clientCode,
    pin: ANGEL_SIM_ACCOUNT.pin,
    totp_secret: ANGEL_SIM_ACCOUNT.totpSecret,
  };
  const now = () => clock;

  beforeEach(async () => {
    clock = Date.parse('2026-11-25T07:30:00+05:30');
    simulator = await startTestAngelSimulator({ now });
    dir = await mkdtemp(path.join(tmpdir(), 'angelone-login-'));
    store = new LocalTokenSecretStore(dir, 'angelone');
    await store.writeApp('PRIMARY', app);
  });
  afterEach(async () => {
    await simulator.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const endpoint = () => ({ root: simulator.apiRoot, network: TEST_NETWORK });
  /** Whether the simulator takes `jwt` for a call. */
  const accepted = async (jwt: string) => {
    const smart = createSmartApi({
      apiKey: app.api_key,
      root: simulator.apiRoot,
      accessToken: jwt,
      network: TEST_NETWORK,
    });
    return ((await smart.getProfile()) as { status?: boolean }).status === true;
  };

  it('logs in from the client code, PIN and TOTP seed and stores the three tokens until the JWT expires', async () => {
    const result = await loginAngelOne(store, { name: 'PRIMARY', now }, endpoint());

    expect(result).toEqual({
      name: 'PRIMARY',
      userId: ANGEL_SIM_ACCOUNT.clientCode,
      loginTime: new Date(clock).toISOString(),
      expiresAt: new Date(clock + 24 * HOUR).toISOString(),
    });
    const token = (await store.readToken('PRIMARY'))?.token;
    expect(token?.refresh_token).toMatch(/^[0-9a-f]{48}$/);
    expect(token?.feed_token).toMatch(/^[0-9a-f]{32}$/);
    expect(await accepted(token?.access_token ?? '')).toBe(true);
  });

  it('refuses a TOTP of another seed with AB1050 and stores nothing', async () => {
    await store.writeApp('PRIMARY', { ...app, totp_secret: 'GEZDGNBVGY3TQOJQ' });

    const attempt = loginAngelOne(store, { name: 'PRIMARY', now }, endpoint());

    await expect(attempt).rejects.toThrow(
      'Angel One refused the login (client code, PIN, TOTP): AB1050: Invalid totp',
    );
    expect(await store.readToken('PRIMARY')).toBeUndefined();
  });

  it('refuses a wrong PIN with AB1000', async () => {
    await store.writeApp('PRIMARY', { ...app, pin: '9999' });

    await expect(loginAngelOne(store, { name: 'PRIMARY', now }, endpoint())).rejects.toThrow(
      /AB1000: Invalid Email Or Password/,
    );
  });

  it('refuses a TOTP used once already, and one from an earlier step', async () => {
    await loginAngelOne(store, { name: 'PRIMARY', now }, endpoint());

    const reused = loginAngelOne(store, { name: 'WEBSOCKET1', now }, endpoint());
    const expired = loginAngelOne(
      store,
      { name: 'WEBSOCKET2', now: () => clock - 90_000 },
      endpoint(),
    );

    await expect(reused).rejects.toThrow(/AB1050: Invalid totp/);
    await expect(expired).rejects.toThrow(/AB1050: Invalid totp/);
    expect(await store.readToken('WEBSOCKET1')).toBeUndefined();
  });

  it('leaves a session with hours to live untouched', async () => {
    await loginAngelOne(store, { name: 'PRIMARY', now }, endpoint());
    const before = await store.readToken('PRIMARY');
    clock += 2 * HOUR;

    const renewal = await renewAngelOneSession(store, { name: 'PRIMARY', now }, endpoint());

    expect(renewal.action).toBe('valid');
    expect((await store.readToken('PRIMARY'))?.token).toEqual(before?.token);
  });

  it('renews a session about to expire with generateTokens: a new JWT, the old one refused', async () => {
    await loginAngelOne(store, { name: 'PRIMARY', now }, endpoint());
    const old = (await store.readToken('PRIMARY'))?.token;
    clock += 20 * HOUR;

    const renewal = await renewAngelOneSession(store, { name: 'PRIMARY', now }, endpoint());

    const renewed = (await store.readToken('PRIMARY'))?.token;
    expect(renewal).toMatchObject({
      action: 'renewed',
      expiresAt: new Date(clock + 24 * HOUR).toISOString(),
    });
    expect(renewed?.access_token).not.toBe(old?.access_token);
    expect(renewed?.refresh_token).not.toBe(old?.refresh_token);
    expect(await accepted(renewed?.access_token ?? '')).toBe(true);
    expect(await accepted(old?.access_token ?? '')).toBe(false);
  });

  it('logs in again with the TOTP when Angel refuses the refresh token (AB8050)', async () => {
    await loginAngelOne(store, { name: 'PRIMARY', now }, endpoint());
    simulator.control.expireTokens();
    clock += 23 * HOUR;

    const renewal = await renewAngelOneSession(store, { name: 'PRIMARY', now }, endpoint());

    expect(renewal.action).toBe('logged-in');
    expect(await accepted((await store.readToken('PRIMARY'))?.token.access_token ?? '')).toBe(true);
  });

  it('keeps the session held when the renewal gets no good answer', async () => {
    await loginAngelOne(store, { name: 'PRIMARY', now }, endpoint());
    const before = (await store.readToken('PRIMARY'))?.token;
    clock += 20 * HOUR;
    simulator.control.armFaults({ failNext: { count: 1, status: 503 } });

    const renewal = renewAngelOneSession(store, { name: 'PRIMARY', now }, endpoint());

    await expect(renewal).rejects.toThrow(/^Angel One refused generateTokens: HTTP 503/);
    expect((await store.readToken('PRIMARY'))?.token).toEqual(before);
  });
});
