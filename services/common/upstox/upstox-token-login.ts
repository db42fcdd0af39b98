import { randomBytes } from 'node:crypto';
import {
  type BrokerTokenLogin,
  parsePasted,
  storedTokenLogin,
  type TokenLoginTarget,
} from '../tokens/token-login';
import { tokenSecretStore } from '../tokens/token-secret-store';
import {
  endUpstoxSession,
  exchangeAuthorizationCode,
  parseAuthorizationCode,
  proveUpstoxToken,
  UPSTOX_DIALOG_URL,
  upstoxLoginLink,
} from './upstox-login';

/**
 * Upstox's login in the token registry: interactive OAuth, one API app per named token (the
 * runbook's PRIMARY, WEBSOCKET1-3, OPTIONCHAIN1-2). The link opens the authorize dialog of the
 * token's own app with a fresh `state`; a pasted redirect URL must carry that state (a redirect of
 * another login is refused before Upstox is asked). `getProfile` proves a token, `logout` ends it.
 */
export function upstoxTokenLogin(target: TokenLoginTarget): BrokerTokenLogin {
  const store = tokenSecretStore(target.stage, target.secrets, 'upstox');
  const endpoint = { apiRoot: target.apiRoot, timeoutMs: target.timeoutMs };
  /** The state each token's last link was sent with. */
  const states = new Map<string, string>();
  return storedTokenLogin({
    broker: 'upstox',
    mode: 'interactive',
    store,
    loginLink: async (name) => {
      const state = randomBytes(8).toString('hex');
      states.set(name, state);
      return upstoxLoginLink(
        await store.readApp(name),
        state,
        target.loginUrl ?? UPSTOX_DIALOG_URL,
      );
    },
    exchange: async ({ name, pasted, now }) => {
      const code = parsePasted(
        pasted,
        (text) => parseAuthorizationCode(text, states.get(name)),
        "Upstox's authorization code",
      );
      return exchangeAuthorizationCode(store, { name, code, now: () => now }, endpoint);
    },
    prove: (token) => proveUpstoxToken(token, endpoint),
    end: (token, name) => endUpstoxSession(token, name, endpoint),
  });
}
