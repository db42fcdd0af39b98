import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { upstoxTokenExpiry } from '../../contract/brokers';
import { AUTH_CODE_TTL_MS } from '../../scripts/sim/upstox/session';
import type { UpstoxSimulator } from '../../scripts/sim/upstox/simulator';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import {
  exchangeAuthorizationCode,
  parseAuthorizationCode,
  upstoxLoginLink,
} from '../../services/common/upstox/upstox-login';
import { startTestUpstoxSimulator, UPSTOX_SIM_APP } from './upstox-venue';

describe('upstoxTokenExpiry', () => {
  it.each([
    ['2026-11-24T20:00:00+05:30', '2026-11-25T03:30:00+05:30'],
    ['2026-11-25T02:30:00+05:30', '2026-11-25T03:30:00+05:30'],
    ['2026-11-25T03:30:00+05:30', '2026-11-26T03:30:00+05:30'],
    ['2026-11-25T08:45:00+05:30', '2026-11-26T03:30:00+05:30'],
  ])('a token obtained at %s dies at %s', (login, expiry) => {
    expect(upstoxTokenExpiry(Date.parse(login))).toBe(Date.parse(expiry));
  });
});

describe('parseAuthorizationCode', () => {
  it('takes the code from the redirect URL when the state matches', () => {
    expect(parseAuthorizationCode('https://desk.example/cb?code=mk404x&state=s1', 's1')).toBe(
      'mk404x',
    );
  });

  it("refuses a redirect carrying another login's state", () => {
    expect(() =>
      parseAuthorizationCode('https://desk.example/cb?code=mk404x&state=s2', 's1'),
    ).toThrow(/state "s2" is not this login's/);
  });

  it('refuses a pasted value that is no code, naming it', () => {
    expect(() => parseAuthorizationCode('not a code!')).toThrow(/not a code!/);
  });
});

describe('Upstox login exchange against the simulator', () => {
  let simulator: UpstoxSimulator;
  let dir: string;
  let store: LocalTokenSecretStore<'upstox'>;
  let clock: number;

  beforeEach(async () => {
    clock = Date.parse('2026-11-25T08:45:00+05:30');
    simulator = await startTestUpstoxSimulator({ now: () => clock });
    dir = await mkdtemp(path.join(tmpdir(), 'upstox-login-'));
    store = new LocalTokenSecretStore(dir, 'upstox');
    await store.writeApp('PRIMARY', {
      client_id: UPSTOX_SIM_APP.clientId,
      client_secret: UPSTOX_SIM_APP.clientSecret,
      redirect_uri: simulator.redirectUri,
    });
  });
  afterEach(async () => {
    await simulator.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Opens the login link as a browser would and returns the redirect the dialog answers. */
  async function logIn(state: string): Promise<string> {
    const app = await store.readApp('PRIMARY');
    const res = await fetch(upstoxLoginLink(app, state, simulator.dialogUrl), {
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    return res.headers.get('location') ?? '';
  }

  it('exchanges the code of the redirect and stores the token until 03:30 IST', async () => {
    const code = parseAuthorizationCode(await logIn('s1'), 's1');

    const result = await exchangeAuthorizationCode(
      store,
      { name: 'PRIMARY', code, now: () => clock },
      { apiRoot: simulator.apiRoot },
    );

    expect(result).toEqual({
      name: 'PRIMARY',
      userId: UPSTOX_SIM_APP.userId,
      loginTime: new Date(clock).toISOString(),
      expiresAt: new Date(Date.parse('2026-11-26T03:30:00+05:30')).toISOString(),
    });
    expect((await store.readToken('PRIMARY'))?.token.access_token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('refuses a code used once already', async () => {
    const code = parseAuthorizationCode(await logIn('s1'));
    await exchangeAuthorizationCode(
      store,
      { name: 'PRIMARY', code },
      { apiRoot: simulator.apiRoot },
    );
    await store.writeApp('WEBSOCKET1', await store.readApp('PRIMARY'));

    const again = exchangeAuthorizationCode(
      store,
      { name: 'WEBSOCKET1', code },
      { apiRoot: simulator.apiRoot },
    );

    await expect(again).rejects.toThrow(
      'Upstox refused the authorization code: UDAPI100016: Invalid Auth code',
    );
    expect(await store.readToken('WEBSOCKET1')).toBeUndefined();
  });

  it('refuses an expired code', async () => {
    const code = parseAuthorizationCode(await logIn('s1'));
    clock += AUTH_CODE_TTL_MS + 1;

    const attempt = exchangeAuthorizationCode(
      store,
      { name: 'PRIMARY', code },
      { apiRoot: simulator.apiRoot },
    );

    await expect(attempt).rejects.toThrow(/UDAPI100016: Invalid Auth code/);
  });

  it('refuses a wrong client secret with Upstox words, and spends the code', async () => {
    const code = parseAuthorizationCode(await logIn('s1'));
    const app = await store.readApp('PRIMARY');
    await store.writeApp('PRIMARY', { ...app, client_secret: 'wrong' });

    const wrong = exchangeAuthorizationCode(
      store,
      { name: 'PRIMARY', code },
      { apiRoot: simulator.apiRoot },
    );
    await expect(wrong).rejects.toThrow(/UDAPI100016: Invalid Credentials/);
    await store.writeApp('PRIMARY', app);
    const retry = exchangeAuthorizationCode(
      store,
      { name: 'PRIMARY', code },
      { apiRoot: simulator.apiRoot },
    );

    await expect(retry).rejects.toThrow(/UDAPI100016: Invalid Auth code/);
  });

  it('answers a login link with a redirect URL other than the registered one with UDAPI100068', async () => {
    const app = await store.readApp('PRIMARY');
    const link = upstoxLoginLink(
      { ...app, redirect_uri: 'https://elsewhere.example/cb' },
      's',
      simulator.dialogUrl,
    );

    const res = await fetch(link, { redirect: 'manual' });

    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      status: 'error',
      errors: [{ errorCode: 'UDAPI100068' }],
    });
  });
});
