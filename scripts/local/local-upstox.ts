import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UpstoxAppSchema } from '../../contract/brokers';
import { DEFAULT_KITE_TOKEN_NAME } from '../../contract/kite';
import { LIVE_CONFIRMATION } from '../../contract/names';
import { LocalBrokerSecretStore } from '../../services/common/broker-secret-store';
import {
  exchangeAuthorizationCode,
  parseAuthorizationCode,
  type UpstoxLoginResult,
  upstoxLoginLink,
} from '../../services/common/upstox/upstox-login';
import { startUpstoxSimulator, type UpstoxSimulator } from '../sim/upstox/simulator';

/** The local stack's Upstox secret store: `<dir>/secrets/upstox`. */
export function localUpstoxSecretDir(dir: string): string {
  return path.join(dir, 'secrets', 'upstox');
}

/** A running Upstox simulator, logged in, and what the trading tasks need to trade LIVE on it. */
export interface LocalUpstox {
  readonly simulator: UpstoxSimulator;
  readonly login: UpstoxLoginResult;
  readonly secretDir: string;
  /** Environment of a trading task: MODE=LIVE with BROKER=upstox against the simulator. */
  readonly taskEnv: Readonly<Record<string, string>>;
}

/**
 * Starts the Upstox simulator with made-up app credentials (a fresh secret each start), stores
 * them in the local secret store and logs in as a person would (`startLocalKite`'s procedure on
 * Upstox's OAuth): opens the authorize link, takes the code from the redirect (checking the
 * state) and exchanges it through `exchangeAuthorizationCode`, the path `tradeops token login`
 * takes. The LIVE confirmation is implied here and only here: the orders go to this simulator.
 */
export async function startLocalUpstox(dir: string, port: number): Promise<LocalUpstox> {
  const clientId = 'localsim';
  const clientSecret = randomBytes(16).toString('hex');
  const simulator = await startUpstoxSimulator({ port, clientId, clientSecret, userId: 'SIM001' });
  try {
    const secretDir = localUpstoxSecretDir(dir);
    const store = new LocalBrokerSecretStore(secretDir, UpstoxAppSchema, 'upstox');
    const app = {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uri: simulator.redirectUri,
    };
    await store.writeApp(app);
    const state = randomBytes(8).toString('hex');
    const res = await fetch(upstoxLoginLink(app, state, simulator.dialogUrl), {
      redirect: 'manual',
    });
    const redirect = res.headers.get('location');
    if (res.status !== 302 || !redirect)
      throw new Error(`the simulator's authorize dialog answered ${res.status} without a redirect`);
    const login = await exchangeAuthorizationCode(
      store,
      { name: DEFAULT_KITE_TOKEN_NAME, code: parseAuthorizationCode(redirect, state) },
      { apiRoot: simulator.apiRoot },
    );
    return {
      simulator,
      login,
      secretDir,
      taskEnv: {
        MODE: 'LIVE',
        LIVE_CONFIRMATION,
        BROKER: 'upstox',
        BROKER_TOKEN_NAME: DEFAULT_KITE_TOKEN_NAME,
        BROKER_SECRET_STORE: 'local',
        BROKER_LOCAL_SECRET_DIR: secretDir,
        UPSTOX_API_ROOT: simulator.apiRoot,
        BROKER_TOKEN_POLL_MS: '1000',
      },
    };
  } catch (error) {
    await simulator.stop();
    throw error;
  }
}
