import { ApiClient, LoginApi, UserApi } from 'upstox-js-sdk';
import * as z from 'zod';
import type { BrokerToken } from '../../../contract/broker-tokens';
import { type UpstoxApp, upstoxTokenExpiry } from '../../../contract/brokers';
import { parseOrThrow } from '../../../contract/validation';
import { loginResult, type TokenLoginResult, type TokenProof } from '../tokens/token-login';
import type { TokenSecretStore } from '../tokens/token-secret-store';

/** A stage's Upstox secrets: an app (`app-<NAME>`) and a session per named token. */
type UpstoxStore = TokenSecretStore<'upstox'>;

/** Upstox's authorize dialog; the simulator has its own (`UpstoxSimulator.dialogUrl`). */
export const UPSTOX_DIALOG_URL = 'https://api.upstox.com/v2/login/authorization/dialog';

/**
 * The link a person opens to log in: Upstox redirects to the app's registered URL with a
 * `code` (and `state`, to be checked against the one sent).
 */
export function upstoxLoginLink(
  app: Pick<UpstoxApp, 'client_id' | 'redirect_uri'>,
  state: string,
  dialogUrl = UPSTOX_DIALOG_URL,
): string {
  const url = new URL(dialogUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', app.client_id);
  url.searchParams.set('redirect_uri', app.redirect_uri);
  url.searchParams.set('state', state);
  return url.toString();
}

const CodeSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{4,128}$/, 'expected an authorization code or the redirect URL');

/**
 * The authorization code from what a person pasted: the code itself, or the whole redirect URL
 * (`...?code=...&state=...`). A redirect whose state differs from `expectedState` is refused: it
 * answers some other login.
 */
export function parseAuthorizationCode(pasted: string, expectedState?: string): string {
  const text = pasted.trim();
  if (/^https?:\/\//i.test(text)) {
    const url = new URL(text);
    const error = url.searchParams.get('error');
    if (error !== null)
      throw new Error(`the redirect says the Upstox login failed (error=${error})`);
    const state = url.searchParams.get('state');
    if (expectedState !== undefined && state !== expectedState)
      throw new Error(`the redirect's state ${JSON.stringify(state)} is not this login's`);
    const code = url.searchParams.get('code');
    if (code === null) throw new Error('the redirect URL has no code parameter');
    return parseOrThrow(CodeSchema, code, 'code in the redirect URL');
  }
  return parseOrThrow(CodeSchema, text, 'authorization code');
}

/** Upstox's own words for an SDK rejection: `<errorCode>: <message>`. */
export function upstoxWords(error: unknown): string {
  const body = (error as { response?: { body?: unknown } } | undefined)?.response?.body as
    | { errors?: Array<{ errorCode?: string; error_code?: string; message?: string }> }
    | undefined;
  const first = body?.errors?.[0];
  if (first?.message) return `${first.errorCode ?? first.error_code ?? 'error'}: ${first.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Where Upstox's API is and how long a call may take. */
export interface UpstoxEndpoint {
  /** @default https://api.upstox.com */
  readonly apiRoot?: string;
  /** @default 7000 */
  readonly timeoutMs?: number;
}

/** The SDK's client on `endpoint`, with `accessToken` as its bearer. */
function apiClient(endpoint: UpstoxEndpoint, accessToken?: string): ApiClient {
  const client = new ApiClient();
  if (endpoint.apiRoot) client.basePath = endpoint.apiRoot.replace(/\/+$/, '');
  client.timeout = endpoint.timeoutMs ?? 7000;
  if (accessToken) client.authentications.OAUTH2.accessToken = accessToken;
  return client;
}

/** An SDK call as a promise; a rejection keeps the SDK's error (status, body). */
const call = <T>(run: (callback: (error: unknown, data: T) => void) => void) =>
  new Promise<T>((resolve, reject) =>
    run((error, data) => (error ? reject(error) : resolve(data))),
  );

/** Upstox refuses the token itself (401, UDAPI100050 "Invalid token used to access API"). */
const refusesToken = (error: unknown) =>
  (error as { status?: number })?.status === 401 || /UDAPI100050/.test(upstoxWords(error));

const TokenAnswerSchema = z
  .object({ accessToken: z.string().min(1), userId: z.string().min(1) })
  .passthrough();

/**
 * Exchanges an authorization code for an access token (`LoginApi.token`, the SDK's
 * `POST /v2/login/authorization/token` with the app's client id, secret and redirect URI) and
 * stores it under `name` with its 03:30 IST expiry. The code is spent by the attempt whatever
 * its outcome (Upstox's rule), so a refusal means a new login.
 */
export async function exchangeAuthorizationCode(
  store: Pick<UpstoxStore, 'readApp' | 'writeToken'>,
  request: { readonly name: string; readonly code: string; readonly now?: () => number },
  endpoint: UpstoxEndpoint = {},
): Promise<TokenLoginResult> {
  const app = await store.readApp(request.name);
  const raw = await call<unknown>((callback) =>
    new LoginApi(apiClient(endpoint)).token(
      '2.0',
      {
        code: request.code,
        clientId: app.client_id,
        clientSecret: app.client_secret,
        redirectUri: app.redirect_uri,
        grantType: 'authorization_code',
      },
      callback,
    ),
  ).catch((error: unknown) => {
    throw new Error(`Upstox refused the authorization code: ${upstoxWords(error)}`);
  });
  const answer = parseOrThrow(TokenAnswerSchema, raw, 'Upstox token answer');
  const loginMs = (request.now ?? Date.now)();
  const token: BrokerToken = {
    access_token: answer.accessToken,
    user_id: answer.userId,
    login_time: new Date(loginMs).toISOString(),
    expires_at: new Date(upstoxTokenExpiry(loginMs)).toISOString(),
  };
  await store.writeToken(request.name, token);
  return loginResult(request.name, token);
}

/**
 * Upstox's proof of a session (`UserApi.getProfile`): a 401 is Upstox refusing it; anything else
 * means Upstox could not be asked.
 */
export async function proveUpstoxToken(
  token: BrokerToken,
  endpoint: UpstoxEndpoint = {},
): Promise<TokenProof> {
  try {
    const profile = (await call<unknown>((callback) =>
      new UserApi(apiClient(endpoint, token.access_token)).getProfile('2.0', callback),
    )) as { data?: { userId?: unknown } } | undefined;
    return { outcome: 'VALID', proof: `Upstox profile ${String(profile?.data?.userId)}` };
  } catch (error) {
    if (refusesToken(error))
      return { outcome: 'REFUSED', proof: `Upstox refuses it: ${upstoxWords(error)}` };
    return { outcome: 'UNREACHABLE', proof: `Upstox not asked (${upstoxWords(error)})` };
  }
}

/**
 * Logs an Upstox session out (`LoginApi.logout`, `DELETE /v2/logout`). A token Upstox already
 * refuses is out as far as Upstox is concerned; any other refusal is thrown in its words.
 */
export async function endUpstoxSession(
  token: BrokerToken,
  name: string,
  endpoint: UpstoxEndpoint = {},
): Promise<void> {
  await call<unknown>((callback) =>
    new LoginApi(apiClient(endpoint, token.access_token)).logout('2.0', callback),
  ).catch((error: unknown) => {
    if (!refusesToken(error))
      throw new Error(`Upstox did not log ${name} out: ${upstoxWords(error)}`);
  });
}
