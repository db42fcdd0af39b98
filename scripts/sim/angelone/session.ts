import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { base32Bytes, totp } from '../../../services/common/angelone/totp';
import { invalidRefreshToken, invalidToken, invalidTotp, wrongPassword } from './wire';

/** The account and the SmartAPI app the simulator logs in. */
export interface AngelSimAccount {
  readonly apiKey: string;
  readonly clientCode: string;
  readonly pin: string;
  /** Base32, as the account's TOTP QR code carries it. */
  readonly totpSecret: string;
  readonly name: string;
}

/** A fresh JWT is good for 24 hours (Angel's "24-28 hours"; the JWT's `exp` says which). */
export const JWT_LIFETIME_MS = 24 * 3_600_000;
const TOTP_STEP_MS = 30_000;

interface Session {
  readonly refreshToken: string;
  readonly feedToken: string;
  readonly expiresMs: number;
}

const random = (bytes: number) => randomBytes(bytes).toString('hex');
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * SmartAPI's sessions: `loginByPassword` takes the client code, the PIN and the TOTP of the
 * current 30-second step (one step of clock skew either way; a code is good once: RFC 6238
 * §5.2), and answers a JWT (HS512, `exp` 24 hours on), a refresh token and a feed token;
 * `generateTokens` trades the refresh token (with the session's JWT, expired or not) for a new
 * set and retires the old; logout and the control API's expiry end sessions.
 */
export class AngelSessions {
  private readonly secret = randomBytes(32);
  private readonly sessions = new Map<string, Session>();
  private readonly usedCodes = new Set<string>();

  constructor(
    readonly account: AngelSimAccount,
    private readonly now: () => number,
  ) {}

  login(fields: { clientcode: string; password: string; totp: string }) {
    if (
      fields.clientcode !== this.account.clientCode ||
      !sameText(fields.password, this.account.pin)
    )
      throw wrongPassword();
    const key = base32Bytes(this.account.totpSecret);
    const now = this.now();
    const step = [-1, 0, 1].find((k) => totp(key, now + k * TOTP_STEP_MS) === fields.totp);
    const used = `${Math.floor(now / TOTP_STEP_MS) + (step ?? 0)}:${fields.totp}`;
    if (step === undefined || this.usedCodes.has(used)) throw invalidTotp();
    this.usedCodes.add(used);
    return this.issue();
  }

  /** `generateTokens`: the refresh token of a session, with that session's JWT. */
  refresh(authorization: string | undefined, refreshToken: string) {
    const jwt = bearer(authorization);
    const session = this.sessions.get(jwt);
    if (!session || !sameText(session.refreshToken, refreshToken)) throw invalidRefreshToken();
    this.sessions.delete(jwt);
    return this.issue();
  }

  /** The JWT of `Authorization: Bearer <jwt>` (or a bare JWT, as the feed sends it), or AG8001. */
  authenticate(authorization: string | undefined): string {
    const jwt = bearer(authorization);
    const session = this.sessions.get(jwt);
    if (!session || session.expiresMs <= this.now()) throw invalidToken();
    return jwt;
  }

  /** Whether the feed's headers name a live session of this account. */
  feedAllowed(headers: Record<string, string | string[] | undefined>): boolean {
    try {
      const jwt = this.authenticate(String(headers.authorization ?? ''));
      return (
        headers['x-api-key'] === this.account.apiKey &&
        headers['x-client-code'] === this.account.clientCode &&
        headers['x-feed-token'] === this.sessions.get(jwt)?.feedToken
      );
    } catch {
      return false;
    }
  }

  logout(jwt: string): void {
    this.sessions.delete(jwt);
  }

  /** Fault injection: every session ends now ("401 errors during trading"). */
  expireAll(): number {
    const count = this.sessions.size;
    this.sessions.clear();
    return count;
  }

  private issue() {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + JWT_LIFETIME_MS / 1000;
    const unsigned = `${b64url({ alg: 'HS512', typ: 'JWT' })}.${b64url({
      username: this.account.clientCode,
      roles: 0,
      userType: 'USER',
      token: 'trade_access_token',
      jti: random(8),
      iat,
      exp,
    })}`;
    const jwtToken = `${unsigned}.${createHmac('sha512', this.secret).update(unsigned).digest('base64url')}`;
    const session: Session = {
      refreshToken: random(24),
      feedToken: random(16),
      expiresMs: exp * 1000,
    };
    this.sessions.set(jwtToken, session);
    return { jwtToken, refreshToken: session.refreshToken, feedToken: session.feedToken };
  }
}

function bearer(authorization: string | undefined): string {
  return (authorization ?? '').replace(/^Bearer\s+/i, '').trim();
}
