import { DEFAULT_TOKEN_NAME } from '../../../contract/broker-tokens';
import {
  type BrokerTokenLogin,
  parsePasted,
  storedTokenLogin,
  type TokenLoginTarget,
} from '../tokens/token-login';
import { tokenSecretStore } from '../tokens/token-secret-store';
import {
  endKiteSession,
  exchangeRequestToken,
  KITE_LOGIN_URL,
  kiteLoginLink,
  parseRequestToken,
  proveKiteToken,
} from './kite-login';

/**
 * Kite's login in the token registry: interactive OAuth (the person opens the login link, Kite
 * redirects with a request_token, `generateSession` exchanges it), `getProfile` as the proof and
 * `invalidateAccessToken` as the logout. One Kite app for every named token.
 */
export function kiteTokenLogin(target: TokenLoginTarget): BrokerTokenLogin {
  const store = tokenSecretStore(target.stage, target.secrets, 'kite');
  const endpoint = { apiRoot: target.apiRoot, timeoutMs: target.timeoutMs };
  return storedTokenLogin({
    broker: 'kite',
    mode: 'interactive',
    store,
    loginLink: async () =>
      kiteLoginLink(
        (await store.readApp(DEFAULT_TOKEN_NAME)).api_key,
        target.loginUrl ?? KITE_LOGIN_URL,
      ),
    exchange: async ({ name, pasted, now }) => {
      const requestToken = parsePasted(pasted, parseRequestToken, "Kite's request_token");
      return exchangeRequestToken(store, { name, requestToken, now: () => now }, endpoint);
    },
    prove: async (token, name) => proveKiteToken(await store.readApp(name), token, endpoint),
    end: async (token, name) => endKiteSession(await store.readApp(name), token, name, endpoint),
  });
}
