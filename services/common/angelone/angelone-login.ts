import * as z from 'zod';
import type { BrokerToken } from '../../../contract/broker-tokens';
import type { AngelOneApp } from '../../../contract/brokers';
import { parseOrThrow } from '../../../contract/validation';
import { loginResult, type TokenLoginResult } from '../tokens/token-login';
import type { TokenSecretStore } from '../tokens/token-secret-store';
import { angelOutcome, createSmartApi, type DeskNetwork, type SmartApiClient } from './smartapi';
import { base32Bytes, totp } from './totp';

/** Where Angel One's API is, how long a call may take, and the desk's network identity. */
export interface AngelOneEndpoint {
  /** @default https://apiconnect.angelone.in */
  readonly root?: string;
  /** @default 7000 */
  readonly timeoutMs?: number;
  readonly network: DeskNetwork;
}

/** A stage's Angel One secrets: one app (the account) and a session per named token. */
type AngelStore = TokenSecretStore<'angelone'>;

/** A fresh JWT lives 24 to 28 hours (Angel's notice); its `exp` claim says exactly. */
const MIN_JWT_LIFETIME_MS = 24 * 3_600_000;
/** The token check renews a session this close to its expiry. @see renewAngelOneSession */
export const ANGELONE_RENEW_WITHIN_MS = 6 * 3_600_000;

const TokensSchema = z
  .object({
    jwtToken: z.string().min(1),
    refreshToken: z.string().min(1),
    feedToken: z.string().min(1),
  })
  .passthrough();
const ProfileSchema = z.object({ clientcode: z.string().min(1) }).passthrough();
const JwtClaimsSchema = z.object({ exp: z.number().int().positive() }).passthrough();

/**
 * When a JWT stops working: its `exp` claim (Angel tells users to decode it: a token is good for
 * 24 to 28 hours), else the documented minimum of 24 hours after the login.
 */
export function angelJwtExpiry(jwt: string, loginMs: number): number {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return JwtClaimsSchema.parse(payload).exp * 1000;
  } catch {
    return loginMs + MIN_JWT_LIFETIME_MS;
  }
}

/** The data of an SDK answer, or an Error in Angel's words naming the step. */
function answer<S extends z.ZodType>(schema: S, raw: unknown, step: string): z.output<S> {
  const outcome = angelOutcome(raw);
  if (!outcome.ok)
    throw new Error(`Angel One refused ${step}: ${outcome.code}: ${outcome.message}`);
  return parseOrThrow(schema, outcome.data, `Angel One ${step} answer`);
}

export function angelClient(
  app: AngelOneApp,
  endpoint: AngelOneEndpoint,
  jwt?: string,
): SmartApiClient {
  return createSmartApi({
    apiKey: app.api_key,
    root: endpoint.root,
    timeoutMs: endpoint.timeoutMs ?? 7000,
    accessToken: jwt,
    network: endpoint.network,
  });
}

/** Stores a new session (its user id confirmed by `getProfile`) under `name`. */
async function store(
  target: Pick<AngelStore, 'writeToken'>,
  smart: SmartApiClient,
  name: string,
  tokens: z.output<typeof TokensSchema>,
  loginMs: number,
): Promise<TokenLoginResult> {
  smart.setAccessToken(tokens.jwtToken);
  const profile = answer(ProfileSchema, await smart.getProfile(), 'the profile of the new session');
  const token: BrokerToken = {
    access_token: tokens.jwtToken,
    refresh_token: tokens.refreshToken,
    feed_token: tokens.feedToken,
    user_id: profile.clientcode,
    login_time: new Date(loginMs).toISOString(),
    expires_at: new Date(angelJwtExpiry(tokens.jwtToken, loginMs)).toISOString(),
  };
  await target.writeToken(name, token);
  return loginResult(name, token);
}

/**
 * The unattended login: client code, PIN and the TOTP of the app secret's seed for now
 * (`loginByPassword` through the SDK's `generateSession`), stored under `name` with the JWT, the
 * refresh token, the feed token and the JWT's expiry. Nothing is stored on a refusal.
 */
export async function loginAngelOne(
  secrets: Pick<AngelStore, 'readApp' | 'writeToken'>,
  request: { readonly name: string; readonly now?: () => number },
  endpoint: AngelOneEndpoint,
): Promise<TokenLoginResult> {
  const app = await secrets.readApp(request.name);
  const loginMs = (request.now ?? Date.now)();
  const smart = angelClient(app, endpoint);
  const code = totp(base32Bytes(app.totp_secret), loginMs);
  const tokens = answer(
    TokensSchema,
    await smart.generateSession(app.client_code, app.pin, code),
    'the login (client code, PIN, TOTP)',
  );
  return store(secrets, smart, request.name, tokens, loginMs);
}

/** What `renewAngelOneSession` did. */
export type AngelOneRenewal = TokenLoginResult & {
  /** `valid`: not near its expiry, untouched; `renewed`: generateTokens; `logged-in`: TOTP. */
  readonly action: 'valid' | 'renewed' | 'logged-in';
};

/**
 * Keeps the session `name` alive: untouched while it has more than `renewWithinMs` left; else
 * renewed with its refresh token (`generateTokens`); a refresh Angel refuses as a dead session
 * (AB8050, AB8051, AG800x), or no session at all, falls back to the unattended TOTP login. Any
 * other failure is thrown: the session held stays as it was.
 */
export async function renewAngelOneSession(
  secrets: Pick<AngelStore, 'readApp' | 'readToken' | 'writeToken'>,
  request: { readonly name: string; readonly now?: () => number; readonly renewWithinMs?: number },
  endpoint: AngelOneEndpoint,
): Promise<AngelOneRenewal> {
  const now = (request.now ?? Date.now)();
  const stored = (await secrets.readToken(request.name))?.token;
  if (
    stored &&
    Date.parse(stored.expires_at) - now > (request.renewWithinMs ?? ANGELONE_RENEW_WITHIN_MS)
  )
    return { action: 'valid', ...loginResult(request.name, stored) };
  if (stored?.refresh_token) {
    const app = await secrets.readApp(request.name);
    const smart = angelClient(app, endpoint, stored.access_token);
    const outcome = angelOutcome(await smart.generateToken(stored.refresh_token));
    if (outcome.ok) {
      const tokens = parseOrThrow(TokensSchema, outcome.data, 'Angel One generateTokens answer');
      return { action: 'renewed', ...(await store(secrets, smart, request.name, tokens, now)) };
    }
    if (outcome.kind !== 'token')
      throw new Error(`Angel One refused generateTokens: ${outcome.code}: ${outcome.message}`);
  }
  const result = await loginAngelOne(secrets, { name: request.name, now: () => now }, endpoint);
  return { action: 'logged-in', ...result };
}
