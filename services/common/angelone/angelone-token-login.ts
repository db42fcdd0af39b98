import {
  type BrokerTokenLogin,
  storedTokenLogin,
  type TokenLoginTarget,
} from '../tokens/token-login';
import { tokenSecretStore } from '../tokens/token-secret-store';
import { type AngelOneEndpoint, angelClient, renewAngelOneSession } from './angelone-login';
import { angelOutcome } from './smartapi';

/** The link a person would open at Angel One: there is none, the login needs nobody. */
const UNATTENDED = 'unattended: client code, PIN and the TOTP of the seed in the app secret';

/**
 * Angel One's login in the token registry: unattended (client code + PIN + a TOTP computed from
 * the seed in the app secret), so the token check renews a session about to expire. `exchange`
 * renews the session (`generateTokens` with its refresh token; a dead refresh token or no session:
 * the TOTP login); `getProfile` proves a session and `logout` ends it.
 */
export function angelOneTokenLogin(target: TokenLoginTarget): BrokerTokenLogin {
  const store = tokenSecretStore(target.stage, target.secrets, 'angelone');
  const endpoint = (): AngelOneEndpoint => {
    if (!target.publicIp)
      throw new Error(
        "Angel One's calls carry the desk's registered static IP, and none is configured here (ANGELONE_PUBLIC_IP)",
      );
    return {
      root: target.apiRoot,
      timeoutMs: target.timeoutMs,
      network: { publicIp: target.publicIp },
    };
  };
  return storedTokenLogin({
    broker: 'angelone',
    mode: 'unattended',
    store,
    loginLink: async () => UNATTENDED,
    exchange: async ({ name, now }) => {
      // Asked for a new session whatever the one held: no "still valid" shortcut.
      const { action: _, ...result } = await renewAngelOneSession(
        store,
        { name, now: () => now, renewWithinMs: Number.POSITIVE_INFINITY },
        endpoint(),
      );
      return result;
    },
    prove: async (token, name) => {
      const app = await store.readApp(name);
      const outcome = angelOutcome(
        await angelClient(app, endpoint(), token.access_token).getProfile(),
      );
      if (outcome.ok) return { outcome: 'VALID', proof: 'Angel One profile answered' };
      const words = `${outcome.code}: ${outcome.message}`;
      return outcome.kind === 'token'
        ? { outcome: 'REFUSED', proof: `Angel One refuses it: ${words}` }
        : { outcome: 'UNREACHABLE', proof: `Angel One not asked (${words})` };
    },
    end: async (token, name) => {
      const app = await store.readApp(name);
      const outcome = angelOutcome(
        await angelClient(app, endpoint(), token.access_token).logout(app.client_code),
      );
      // A session Angel no longer knows is out already.
      if (!outcome.ok && outcome.kind !== 'token')
        throw new Error(`Angel One did not log ${name} out: ${outcome.code}: ${outcome.message}`);
    },
  });
}
