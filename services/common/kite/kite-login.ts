import { type Connect, KiteConnect } from 'kiteconnect';
import * as z from 'zod';
import type { BrokerToken } from '../../../contract/broker-tokens';
import { type KiteApp, kiteTokenExpiry } from '../../../contract/brokers';
import { parseOrThrow } from '../../../contract/validation';
import { loginResult, type TokenLoginResult, type TokenProof } from '../tokens/token-login';
import type { TokenSecretStore } from '../tokens/token-secret-store';

/** A stage's Kite secrets: one app for every named token. */
type KiteStore = TokenSecretStore<'kite'>;

/** Kite's login page; the simulator has its own (`KiteSimulator.loginUrl`). */
export const KITE_LOGIN_URL = 'https://kite.zerodha.com/connect/login';

/** The link a person opens to log in: Kite redirects to the app's URL with a request_token. */
export function kiteLoginLink(apiKey: string, loginUrl = KITE_LOGIN_URL): string {
  const url = new URL(loginUrl);
  url.searchParams.set('v', '3');
  url.searchParams.set('api_key', apiKey);
  return url.toString();
}

const RequestTokenSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9]{6,64}$/,
    'expected a request_token (letters and digits) or the redirect URL',
  );

/**
 * The request_token from what a person pasted: the token itself, or the whole redirect URL
 * (`...?request_token=...&status=success`). A redirect that says the login failed is refused.
 */
export function parseRequestToken(pasted: string): string {
  const text = pasted.trim();
  if (/^https?:\/\//i.test(text)) {
    const url = new URL(text);
    const status = url.searchParams.get('status');
    if (status !== null && status !== 'success')
      throw new Error(`the redirect says the Kite login did not succeed (status=${status})`);
    const token = url.searchParams.get('request_token');
    if (token === null) throw new Error('the redirect URL has no request_token parameter');
    return parseOrThrow(RequestTokenSchema, token, 'request_token in the redirect URL');
  }
  return parseOrThrow(RequestTokenSchema, text, 'request_token');
}

/** Kite's own words for an SDK rejection: `<error_type>: <message>`. */
export function kiteWords(error: unknown): string {
  const e = error as { error_type?: unknown; message?: unknown } | undefined;
  if (e && typeof e.message === 'string')
    return typeof e.error_type === 'string' ? `${e.error_type}: ${e.message}` : e.message;
  return String(error);
}

/** Where Kite's API is and how long a call may take. */
export interface KiteEndpoint {
  /** @default https://api.kite.trade */
  readonly apiRoot?: string;
  /** @default 7000 */
  readonly timeoutMs?: number;
}

/** The SDK's client on `endpoint` for `app`, with `accessToken` when there is one. */
function kiteClient(app: KiteApp, endpoint: KiteEndpoint, accessToken?: string): Connect {
  return new KiteConnect({
    api_key: app.api_key,
    ...(accessToken ? { access_token: accessToken } : {}),
    root: endpoint.apiRoot,
    timeout: endpoint.timeoutMs ?? 7000,
  });
}

/**
 * Exchanges a request_token for an access token (`generateSession`, which sends the checksum
 * sha256(api_key + request_token + api_secret)) and stores it under `name`. The one login path:
 * `tradeops token login` and the local stack's simulator login both call it.
 */
export async function exchangeRequestToken(
  store: KiteStore,
  request: { readonly name: string; readonly requestToken: string; readonly now?: () => number },
  endpoint: KiteEndpoint = {},
): Promise<TokenLoginResult> {
  const app = await store.readApp(request.name);
  const kite = kiteClient(app, endpoint);
  let session: { access_token?: unknown; user_id?: unknown };
  try {
    session = await kite.generateSession(request.requestToken, app.api_secret);
  } catch (error) {
    throw new Error(`Kite refused the request_token: ${kiteWords(error)}`);
  }
  const loginMs = (request.now ?? Date.now)();
  const token: BrokerToken = {
    access_token: String(session.access_token ?? ''),
    user_id: String(session.user_id ?? ''),
    login_time: new Date(loginMs).toISOString(),
    expires_at: new Date(kiteTokenExpiry(loginMs)).toISOString(),
  };
  await store.writeToken(request.name, token);
  return loginResult(request.name, token);
}

/**
 * Kite's proof of a session (`getProfile`): a `TokenException` is Kite refusing it; anything else
 * means Kite could not be asked.
 */
export async function proveKiteToken(
  app: KiteApp,
  token: BrokerToken,
  endpoint: KiteEndpoint = {},
): Promise<TokenProof> {
  try {
    const profile = (await kiteClient(app, endpoint, token.access_token).getProfile()) as {
      user_id?: unknown;
    };
    return { outcome: 'VALID', proof: `Kite profile ${String(profile.user_id)}` };
  } catch (error) {
    const type = (error as { error_type?: unknown })?.error_type;
    if (type === 'TokenException')
      return { outcome: 'REFUSED', proof: `Kite refuses it: ${kiteWords(error)}` };
    return { outcome: 'UNREACHABLE', proof: `Kite not asked (${kiteWords(error)})` };
  }
}

/**
 * Logs a Kite session out (`invalidateAccessToken`, `DELETE /session/token`): the daily logout
 * SEBI's framework requires. Throws, with Kite's words, when Kite could not do it.
 */
export async function endKiteSession(
  app: KiteApp,
  token: BrokerToken,
  name: string,
  endpoint: KiteEndpoint = {},
): Promise<void> {
  try {
    await kiteClient(app, endpoint, token.access_token).invalidateAccessToken(token.access_token);
  } catch (error) {
    throw new Error(`Kite did not log ${name} out: ${kiteWords(error)}`);
  }
}
