import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { istTimestamp } from '../shared/units';
import { inputError, invalidTokenError, KiteApiError, nextTokenFlush } from './wire';

/** The account the simulator logs in: Kite's one user per api_key in a personal app. */
export interface SimUser {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly userId: string;
  readonly userName: string;
  readonly email: string;
}

/** A live session: what `POST /session/token` hands out. */
export interface SimSession {
  readonly accessToken: string;
  readonly publicToken: string;
  readonly loginEpochMs: number;
  readonly expiresEpochMs: number;
}

/** How long a request_token can be exchanged (Kite's are short-lived; a few minutes). */
export const REQUEST_TOKEN_TTL_MS = 5 * 60_000;

const token = () => randomBytes(16).toString('hex');

/**
 * Kite's login and session rules: a request_token is single-use and expires; the exchange needs
 * `checksum = sha256(api_key + request_token + api_secret)`; an access token lives until the
 * next 06:00 IST flush, a logout (`DELETE /session/token`) or a forced expiry from the control API.
 */
export class SessionStore {
  private readonly requestTokens = new Map<string, number>();
  private readonly usedRequestTokens = new Set<string>();
  private readonly sessions = new Map<string, SimSession>();

  constructor(
    readonly user: SimUser,
    private readonly now: () => number,
  ) {}

  /** A fresh request_token for the configured user, as the login redirect carries it. */
  issueRequestToken(): string {
    const requestToken = token();
    this.requestTokens.set(requestToken, this.now() + REQUEST_TOKEN_TTL_MS);
    return requestToken;
  }

  /** Exchanges a request_token; every refusal is the error Kite gives for it. */
  exchange(apiKey: string, requestToken: string, checksum: string): SimSession {
    if (apiKey !== this.user.apiKey) throw inputError('Invalid `api_key`.');
    const expected = createHash('sha256')
      .update(this.user.apiKey + requestToken + this.user.apiSecret)
      .digest('hex');
    const given = Buffer.from(checksum.toLowerCase());
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
      throw new KiteApiError(403, 'TokenException', 'Invalid `checksum`.');
    }
    const expiresAt = this.requestTokens.get(requestToken);
    // One answer for unknown, reused and expired tokens: it is what Kite says for all three.
    if (
      expiresAt === undefined ||
      this.usedRequestTokens.has(requestToken) ||
      expiresAt < this.now()
    ) {
      throw new KiteApiError(403, 'TokenException', 'Token is invalid or has expired.');
    }
    this.requestTokens.delete(requestToken);
    this.usedRequestTokens.add(requestToken);
    const loginEpochMs = this.now();
    const session: SimSession = {
      accessToken: token(),
      publicToken: token(),
      loginEpochMs,
      expiresEpochMs: nextTokenFlush(loginEpochMs),
    };
    this.sessions.set(session.accessToken, session);
    return session;
  }

  /** The session behind `Authorization: token api_key:access_token`, or a TokenException. */
  authenticate(authorization: string | undefined): SimSession {
    const match = /^token ([^:\s]+):(\S+)$/.exec(authorization ?? '');
    if (!match || match[1] !== this.user.apiKey) throw invalidTokenError();
    return this.validate(match[2] ?? '');
  }

  /** The session for an access token (the ticker's query string), or a TokenException. */
  validate(accessToken: string): SimSession {
    const session = this.sessions.get(accessToken);
    if (!session) throw invalidTokenError();
    if (session.expiresEpochMs <= this.now()) {
      this.sessions.delete(accessToken);
      throw invalidTokenError();
    }
    return session;
  }

  /** Logout: the token stops working at once. Kite answers true even for a dead token. */
  invalidate(apiKey: string, accessToken: string): boolean {
    if (apiKey !== this.user.apiKey) throw inputError('Invalid `api_key`.');
    this.sessions.delete(accessToken);
    return true;
  }

  /** Fault injection: every access token issued so far dies now. */
  expireAll(): number {
    const count = this.sessions.size;
    this.sessions.clear();
    return count;
  }

  /** The session part of the `POST /session/token` answer (user fields added by the route). */
  sessionData(session: SimSession) {
    return {
      ...this.profileData(),
      api_key: this.user.apiKey,
      access_token: session.accessToken,
      public_token: session.publicToken,
      refresh_token: '',
      enctoken: '',
      login_time: istTimestamp(session.loginEpochMs),
    };
  }

  /** `GET /user/profile` as Kite answers it for an individual equity account. */
  profileData() {
    return {
      user_id: this.user.userId,
      user_type: 'individual',
      email: this.user.email,
      user_name: this.user.userName,
      user_shortname: this.user.userName.split(' ')[0] ?? this.user.userName,
      broker: 'ZERODHA',
      exchanges: ['NSE', 'BSE'],
      products: ['CNC', 'MIS'],
      order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
      avatar_url: null,
      meta: { demat_consent: 'physical' },
    };
  }
}
