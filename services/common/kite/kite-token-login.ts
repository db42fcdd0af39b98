import { DEFAULT_TOKEN_NAME } from '../../../contract/broker-tokens';
import { type BrokerTokenLogin, parsePasted, type TokenLoginTarget } from '../tokens/token-login';
import { tokenSecretStore } from '../tokens/token-secret-store';
import {
  exchangeRequestToken,
  KITE_LOGIN_URL,
  kiteLoginLink,
  kiteTokenStatus,
  logoutKiteSession,
  parseRequestToken,
} from './kite-login';

/**
 * Kite's login in the token registry: interactive OAuth (the person opens the login link, Kite
 * redirects with a request_token, `generateSession` exchanges it), `getProfile` as the proof and
 * `invalidateAccessToken` as the logout.
 */
export function kiteTokenLogin(target: TokenLoginTarget): BrokerTokenLogin {
  const store = tokenSecretStore(target.stage, target.secrets, 'kite');
  const endpoint = { apiRoot: target.apiRoot, timeoutMs: target.timeoutMs };
  return {
    broker: 'kite',
    mode: 'interactive',
    where: store.where,
    // One Kite app for every named token.
    loginLink: async () =>
      kiteLoginLink(
        (await store.readApp(DEFAULT_TOKEN_NAME)).api_key,
        target.loginUrl ?? KITE_LOGIN_URL,
      ),
    exchange: async ({ name, pasted, now }) => {
      const requestToken = parsePasted(pasted, parseRequestToken, "Kite's request_token");
      return exchangeRequestToken(store, { name, requestToken, now: () => now }, endpoint);
    },
    status: (names, now) => kiteTokenStatus(store, names, { ...endpoint, now: () => now }),
    logout: (name) => logoutKiteSession(store, name, endpoint),
    listTokens: () => store.listTokens(),
  };
}
