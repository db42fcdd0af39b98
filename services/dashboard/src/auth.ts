import { createPublicKey, type KeyObject, timingSafeEqual, verify } from 'node:crypto';

/** Who is asking: the audit trail's actor. */
export interface Identity {
  readonly name: string;
  /** How it was established, for the audit row's reason. */
  readonly via: 'alb-oidc' | 'local-token';
}

/** The request as the authenticators see it. */
export interface RequestCredentials {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly cookies: Readonly<Record<string, string>>;
}

export interface Authenticator {
  /** The caller's identity, or undefined: no identity, no data and no control action. */
  identify(request: RequestCredentials): Promise<Identity | undefined>;
}

const header = (r: RequestCredentials, name: string): string | undefined => {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const sameSecret = (a: string, b: string) => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The local stack: the token `npm start` prints, as a cookie (set by /login) or a bearer token. */
export class LocalTokenAuth implements Authenticator {
  constructor(
    private readonly token: string,
    private readonly user: string,
  ) {}

  async identify(r: RequestCredentials): Promise<Identity | undefined> {
    const bearer = header(r, 'authorization')?.replace(/^Bearer /i, '');
    const presented = r.cookies[LOCAL_COOKIE] ?? bearer;
    return presented && sameSecret(presented, this.token)
      ? { name: this.user, via: 'local-token' }
      : undefined;
  }
}

export const LOCAL_COOKIE = 'dashboard_token';

/** Fetches the PEM public key of an ALB signing key id. */
export type AlbKeyFetcher = (region: string, kid: string) => Promise<string>;

const fetchAlbKey: AlbKeyFetcher = async (region, kid) => {
  const url = `https://public-keys.auth.elb.${region}.amazonaws.com/${encodeURIComponent(kid)}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`ALB public key ${kid}: HTTP ${res.status}`);
  return res.text();
};

const b64url = (s: string) => Buffer.from(s.replace(/=+$/, ''), 'base64url');

/**
 * AWS: the ALB authenticated the user (Cognito or OIDC) and passes the claims in
 * `x-amzn-oidc-data`, a JWT it signs with ES256. The signature, the signer (our ALB) and the
 * expiry are checked; a header that fails any of them is no identity.
 */
export class AlbOidcAuth implements Authenticator {
  private readonly keys = new Map<string, KeyObject>();

  constructor(
    private readonly albArn: string,
    private readonly region: string,
    private readonly fetchKey: AlbKeyFetcher = fetchAlbKey,
    private readonly now: () => number = Date.now,
  ) {}

  async identify(r: RequestCredentials): Promise<Identity | undefined> {
    const token = header(r, 'x-amzn-oidc-data');
    const parts = token?.split('.') ?? [];
    if (parts.length !== 3) return undefined;
    const [h, p, s] = parts as [string, string, string];
    let head: { alg?: string; kid?: string; signer?: string; exp?: number };
    let claims: { email?: string; preferred_username?: string; sub?: string; exp?: number };
    try {
      head = JSON.parse(b64url(h).toString('utf8'));
      claims = JSON.parse(b64url(p).toString('utf8'));
    } catch {
      return undefined;
    }
    if (head.alg !== 'ES256' || !head.kid || head.signer !== this.albArn) return undefined;
    const exp = claims.exp ?? head.exp;
    if (exp === undefined || exp * 1000 < this.now()) return undefined;
    let key = this.keys.get(head.kid);
    if (!key) {
      key = createPublicKey(await this.fetchKey(this.region, head.kid));
      this.keys.set(head.kid, key);
    }
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key, dsaEncoding: 'ieee-p1363' },
      b64url(s),
    );
    const name = claims.email ?? claims.preferred_username ?? claims.sub;
    return ok && name ? { name, via: 'alb-oidc' } : undefined;
  }
}
