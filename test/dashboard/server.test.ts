import { generateKeyPairSync, sign } from 'node:crypto';
import type { OperatorEvent } from '../../contract/operator-events';
import { AlbOidcAuth, type Authenticator, LocalTokenAuth } from '../../services/dashboard/src/auth';
import { buildDashboardServer } from '../../services/dashboard/src/server';
import type { DispatchResult } from '../../services/ops/dispatch';
import type { OpsContext } from '../../services/ops/platform/ports';

const ALB =
  'arn:aws:elasticloadbalancing:ap-south-1:123456789012:loadbalancer/app/algo-trading-prod/abc';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const NOW = Date.parse('2026-11-23T03:30:00Z');

/** An `x-amzn-oidc-data` header as the ALB makes it: ES256 over base64url header and claims. */
function albToken(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
  key = privateKey,
): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'ES256', kid: 'k1', signer: ALB, iss: 'https://idp', ...header });
  const body = enc({ sub: 'u-1', exp: NOW / 1000 + 60, ...claims });
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), {
    key,
    dsaEncoding: 'ieee-p1363',
  });
  // The ALB pads its base64: accept it.
  return `${head}.${body}.${signature.toString('base64url')}==`;
}

describe('AlbOidcAuth', () => {
  let fetched = 0;
  const auth = new AlbOidcAuth(
    ALB,
    'ap-south-1',
    async (region, kid) => {
      fetched += 1;
      expect([region, kid]).toEqual(['ap-south-1', 'k1']);
      return PEM;
    },
    () => NOW,
  );
  const identify = (token: string) =>
    auth.identify({ headers: { 'x-amzn-oidc-data': token }, cookies: {} });

  it('accepts the ALB-signed claims and names the user by email; fetches the key once', async () => {
    expect(await identify(albToken({ email: 'alice@desk.example' }))).toEqual({
      name: 'alice@desk.example',
      via: 'alb-oidc',
    });
    expect(await identify(albToken({}))).toEqual({ name: 'u-1', via: 'alb-oidc' });
    expect(fetched).toBe(1);
  });

  it('refuses another signer, an expired token, a changed claim, another key, or none', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const good = albToken({ email: 'alice@desk.example' });
    const [h, , s] = good.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ email: 'mallory@x', exp: NOW / 1000 + 60 })).toString('base64url')}.${s}`;
    for (const token of [
      albToken({ email: 'a@b' }, { signer: `${ALB}-other` }),
      albToken({ email: 'a@b', exp: NOW / 1000 - 1 }),
      albToken({ email: 'a@b' }, { alg: 'none' }),
      albToken({ email: 'a@b' }, {}, other),
      forged,
      'not-a-jwt',
    ]) {
      expect(await identify(token)).toBeUndefined();
    }
    expect(await auth.identify({ headers: {}, cookies: {} })).toBeUndefined();
  });
});

describe('the dashboard server', () => {
  const sent: OperatorEvent[] = [];
  const control = {
    run: async (event: OperatorEvent): Promise<DispatchResult> => {
      sent.push(event);
      return {
        kind: 'procedure',
        result: {
          procedure: event.action,
          id: 'p-1',
          stage: 'local',
          requestedBy: 'requestedBy' in event ? event.requestedBy : '',
          reason: 'reason' in event ? event.reason : '',
          startedAt: '',
          finishedAt: '',
          outcome: 'OK',
          steps: [],
        },
      };
    },
  };
  const build = (auth: Authenticator) =>
    buildDashboardServer({ ctx: { stage: 'local' } as OpsContext, control, auth });
  const app = build(new LocalTokenAuth('local-token-0123456789', 'alice@local'));
  beforeEach(() => {
    sent.length = 0;
  });
  afterAll(() => app.close());

  const kill = (headers: Record<string, string>, payload: unknown = { reason: 'drill now' }) =>
    app.inject({ method: 'POST', url: '/api/control/kill', headers, payload: payload as object });

  it('refuses every control action and every read without an identity, and sends nothing', async () => {
    const anonymous: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong-token-0123456789' },
      { cookie: 'dashboard_token=wrong' },
    ];
    for (const headers of anonymous) {
      expect((await kill(headers)).statusCode).toBe(401);
      for (const action of ['halt', 'resume', 'pause', 'unpause']) {
        const res = await app.inject({
          method: 'POST',
          url: `/api/control/${action}`,
          headers,
          payload: { reason: 'drill now' },
        });
        expect(res.statusCode).toBe(401);
      }
    }
    for (const url of ['/api/status', '/api/positions', '/api/audit', '/api/whoami']) {
      expect((await app.inject({ url })).statusCode).toBe(401);
    }
    expect(sent).toEqual([]);
    // The page itself and the load balancer's health check need no identity.
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/' })).headers['content-type']).toContain('text/html');
  });

  it('sends the identity as the requester, and the reason, to the same procedures as the CLI', async () => {
    const res = await kill({ cookie: 'dashboard_token=local-token-0123456789' });
    expect(res.statusCode).toBe(200);
    expect(sent).toEqual([
      { action: 'kill', requestedBy: 'alice@local', reason: 'drill now', scaleToZero: false },
    ]);
  });

  it('names the bad value of a bad request (400) and sends nothing', async () => {
    const auth = { authorization: 'Bearer local-token-0123456789' };
    const noReason = await kill(auth, { reason: ' ' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().message).toMatch(/reason: a reason of at least 3 characters/);
    const extra = await kill(auth, { reason: 'drill now', requestedBy: 'someone-else' });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().message).toMatch(/requestedBy/);
    const flatten = await app.inject({
      method: 'POST',
      url: '/api/control/restore',
      headers: auth,
      payload: { reason: 'drill now' },
    });
    expect(flatten.statusCode).toBe(400);
    expect(flatten.json().message).toMatch(/control action.*"restore"|restore/);
    expect(sent).toEqual([]);
  });

  it('names what is wrong with a body it cannot read, with a specific code, and sends nothing', async () => {
    const post = (payload: string) =>
      app.inject({
        method: 'POST',
        url: '/api/control/resume',
        headers: {
          authorization: 'Bearer local-token-0123456789',
          'content-type': 'application/json',
        },
        payload,
      });
    const answers = await Promise.all(
      [
        '{"reason": "drill now", "__proto__": {"approvedBy": "x"}}',
        '{"reason": "drill now", "approvedBy": 1e400}',
        `{"reason": "${'x'.repeat(20_000)}"}`,
      ].map(async (payload) => {
        const res = await post(payload);
        return { status: res.statusCode, body: res.json() };
      }),
    );
    expect(answers).toEqual([
      {
        status: 400,
        body: { error: 'BAD_REQUEST', message: 'body has a forbidden key __proto__ (at body)' },
      },
      {
        status: 400,
        body: { error: 'BAD_REQUEST', message: 'body.approvedBy: 1e400 is not a finite number' },
      },
      { status: 413, body: { error: 'PAYLOAD_TOO_LARGE', message: expect.any(String) } },
    ]);
    expect(sent).toEqual([]);
  });

  it('takes the identity from the ALB header in AWS', async () => {
    const aws = build(
      new AlbOidcAuth(
        ALB,
        'ap-south-1',
        async () => PEM,
        () => NOW,
      ),
    );
    const res = await aws.inject({
      method: 'POST',
      url: '/api/control/halt',
      headers: { 'x-amzn-oidc-data': albToken({ email: 'bob@desk.example' }) },
      payload: { reason: 'broker down' },
    });
    expect(res.statusCode).toBe(200);
    expect(sent).toEqual([
      { action: 'halt', requestedBy: 'bob@desk.example', reason: 'broker down' },
    ]);
    await aws.close();
  });
});
