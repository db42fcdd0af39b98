import { randomBytes, timingSafeEqual } from 'node:crypto';
import { upstoxTokenExpiry } from '../../../contract/brokers';
import { invalidCredentials, invalidToken, wrongClientOrRedirect } from './wire';

/** The account and the API app the simulator logs in. */
export interface UpstoxSimUser {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly userId: string;
  readonly userName: string;
  /** More API apps of the same account (a desk keeps one per named token), same redirect URL. */
  readonly moreApps?: readonly UpstoxSimApp[];
}

/** An API app's credentials. */
export interface UpstoxSimApp {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** An authorization code is good for this long (Upstox's are short-lived). */
export const AUTH_CODE_TTL_MS = 5 * 60_000;

const random = (bytes: number) => randomBytes(bytes).toString('hex');

const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Upstox's OAuth rules: the authorize dialog redirects to the app's registered `redirect_uri`
 * with a code; the code is single-use "regardless of whether the access token generation
 * succeeds" and expires; the exchange needs the app's client_id, client_secret and redirect_uri;
 * an access token lives until the next 03:30 IST or a forced expiry from the control API.
 */
export class UpstoxSessions {
  private readonly codes = new Map<string, number>();
  private readonly usedCodes = new Set<string>();
  private readonly tokens = new Map<string, { loginMs: number; expiresMs: number }>();
  private readonly streamCodes = new Map<string, { token: string; expiresMs: number }>();

  /** client_id -> client_secret of every app of the account. */
  private readonly apps: ReadonlyMap<string, string>;

  constructor(
    readonly user: UpstoxSimUser,
    private readonly now: () => number,
  ) {
    this.apps = new Map(
      [user, ...(user.moreApps ?? [])].map((app) => [app.clientId, app.clientSecret]),
    );
  }

  /** The authorize dialog: checks the app and returns the redirect carrying a fresh code. */
  authorize(clientId: string, redirectUri: string, state: string | undefined): string {
    if (!this.apps.has(clientId) || redirectUri !== this.user.redirectUri)
      throw wrongClientOrRedirect();
    const target = new URL(redirectUri);
    target.searchParams.set('code', this.issueCode());
    if (state !== undefined) target.searchParams.set('state', state);
    return target.toString();
  }

  /** A fresh authorization code, as a completed login would redirect with. */
  issueCode(): string {
    const code = random(3);
    this.codes.set(code, this.now() + AUTH_CODE_TTL_MS);
    return code;
  }

  /** `POST /v2/login/authorization/token`: every refusal is Upstox's. */
  exchange(fields: {
    code: string;
    client_id: string;
    client_secret: string;
    redirect_uri: string;
  }): { accessToken: string; loginMs: number } {
    const expiresAt = this.codes.get(fields.code);
    const reused = this.usedCodes.has(fields.code);
    // Spent by this attempt whatever its outcome.
    this.codes.delete(fields.code);
    this.usedCodes.add(fields.code);
    const secret = this.apps.get(fields.client_id);
    if (secret === undefined || fields.redirect_uri !== this.user.redirectUri)
      throw wrongClientOrRedirect();
    if (!sameText(fields.client_secret, secret)) throw invalidCredentials();
    if (expiresAt === undefined || reused || expiresAt < this.now())
      throw invalidCredentials('Invalid Auth code');
    const loginMs = this.now();
    const accessToken = random(24);
    this.tokens.set(accessToken, { loginMs, expiresMs: upstoxTokenExpiry(loginMs) });
    return { accessToken, loginMs };
  }

  /** The session behind `Authorization: Bearer <token>`, or UDAPI100050. */
  authenticate(authorization: string | undefined): string {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    const token = match?.[1] ?? '';
    const session = this.tokens.get(token);
    if (!session) throw invalidToken();
    if (session.expiresMs <= this.now()) {
      this.tokens.delete(token);
      throw invalidToken();
    }
    return token;
  }

  /** A one-time code for a WebSocket URI (the authorize redirect of the feeds). */
  streamCode(token: string): string {
    const code = random(12);
    this.streamCodes.set(code, { token, expiresMs: this.now() + 60_000 });
    return code;
  }

  /** Whether a WebSocket code is good: once, within a minute, for a live token. */
  takeStreamCode(code: string): boolean {
    const entry = this.streamCodes.get(code);
    this.streamCodes.delete(code);
    if (!entry || entry.expiresMs < this.now()) return false;
    const session = this.tokens.get(entry.token);
    return session !== undefined && session.expiresMs > this.now();
  }

  /** `DELETE /v2/logout`: the session of the (authenticated) token ends. */
  logout(token: string): void {
    this.tokens.delete(token);
  }

  /** Fault injection: every access token dies now ("401 errors during trading"). */
  expireAll(): number {
    const count = this.tokens.size;
    this.tokens.clear();
    return count;
  }

  /** The flat profile the token exchange answers with. */
  tokenAnswer(accessToken: string) {
    return {
      email: `${this.user.userId.toLowerCase()}@sim.invalid`,
      exchanges: ['NSE', 'BSE'],
      products: ['D', 'I'],
      broker: 'UPSTOX',
      user_id: this.user.userId,
      user_name: this.user.userName,
      order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
      user_type: 'individual',
      poa: false,
      is_active: true,
      access_token: accessToken,
      extended_token: null,
    };
  }
}
