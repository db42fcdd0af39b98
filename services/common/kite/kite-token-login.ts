import { DEFAULT_KITE_TOKEN_NAME } from '../../../contract/kite';
import { messageOf } from '../errors';
import {
  type BrokerTokenLogin,
  TokenInputError,
  type TokenLoginTarget,
} from '../tokens/token-login';
import {
  exchangeRequestToken,
  KITE_LOGIN_URL,
  kiteLoginLink,
  kiteTokenStatus,
  parseRequestToken,
} from './kite-login';
import {
  type KiteSecretStore,
  LocalKiteSecretStore,
  SecretsManagerKiteSecretStore,
} from './kite-secret-store';

/** The Kite secret store of a target. */
export function kiteSecretStore(target: TokenLoginTarget): KiteSecretStore {
  return target.secrets.kind === 'aws'
    ? new SecretsManagerKiteSecretStore(target.secrets.client, target.stage)
    : new LocalKiteSecretStore(target.secrets.dir);
}

/**
 * Kite's login in the token registry: interactive OAuth (the person opens the login link, Kite
 * redirects with a request_token, `generateSession` exchanges it) and `getProfile` as the proof.
 * The same functions `tradeops token login --broker kite` has always called.
 */
export function kiteTokenLogin(target: TokenLoginTarget): BrokerTokenLogin {
  const store = kiteSecretStore(target);
  const endpoint = { apiRoot: target.apiRoot, timeoutMs: target.timeoutMs };
  return {
    broker: 'kite',
    mode: 'interactive',
    where: store.where,
    // One Kite app for every named token.
    loginLink: async () =>
      kiteLoginLink(
        (await store.readApp(DEFAULT_KITE_TOKEN_NAME)).api_key,
        target.loginUrl ?? KITE_LOGIN_URL,
      ),
    exchange: async ({ name, pasted, now }) => {
      let requestToken: string;
      try {
        if (pasted === undefined) throw new Error('Kite needs the request_token a person pastes');
        requestToken = parseRequestToken(pasted);
      } catch (error) {
        throw new TokenInputError(messageOf(error));
      }
      return exchangeRequestToken(store, { name, requestToken, now: () => now }, endpoint);
    },
    status: async (names, now) =>
      (await kiteTokenStatus(store, names, { ...endpoint, now: () => now })).map(
        ({ provenByKite, ...row }) => ({ ...row, proven: provenByKite }),
      ),
    listTokens: () => store.listTokens(),
  };
}
