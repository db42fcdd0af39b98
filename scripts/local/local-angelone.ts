import { randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import { AngelOneAppSchema } from '../../contract/brokers';
import { DEFAULT_KITE_TOKEN_NAME } from '../../contract/kite';
import { LIVE_CONFIRMATION } from '../../contract/names';
import {
  type AngelOneLoginResult,
  loginAngelOne,
} from '../../services/common/angelone/angelone-login';
import { LocalBrokerSecretStore } from '../../services/common/broker-secret-store';
import { type AngelSimulator, startAngelSimulator } from '../sim/angelone/simulator';

/** The local stack's Angel One secret store: `<dir>/secrets/angelone`. */
export function localAngelOneSecretDir(dir: string): string {
  return path.join(dir, 'secrets', 'angelone');
}

/** The desk's "static IP" on the local stack: the loopback the simulator sees. */
const LOCAL_PUBLIC_IP = '127.0.0.1';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A running Angel One simulator, logged in, and what the trading tasks need to trade LIVE on it. */
export interface LocalAngelOne {
  readonly simulator: AngelSimulator;
  readonly login: AngelOneLoginResult;
  readonly secretDir: string;
  /** Environment of a trading task: MODE=LIVE with BROKER=angelone against the simulator. */
  readonly taskEnv: Readonly<Record<string, string>>;
}

/**
 * Starts the Angel One simulator with made-up account credentials (a fresh API key, PIN and TOTP
 * seed each start), stores them in the local secret store as the app secret and logs in
 * unattended through `loginAngelOne`, the path `tradeops token login --broker angelone` and the
 * token check's renewal take. The LIVE confirmation is implied here and only here: the orders go
 * to this simulator.
 */
export async function startLocalAngelOne(dir: string, port: number): Promise<LocalAngelOne> {
  const app = {
    api_key: randomBytes(6).toString('hex'),
    client_code: 'S1234567',
    pin: String(randomInt(1000, 10_000)),
    totp_secret: Array.from(randomBytes(16), (b) => BASE32[b % 32]).join(''),
  };
  const simulator = await startAngelSimulator({
    port,
    apiKey: app.api_key,
    clientCode: app.client_code,
    pin: app.pin,
    totpSecret: app.totp_secret,
    name: 'Sim Trader',
  });
  try {
    const secretDir = localAngelOneSecretDir(dir);
    const store = new LocalBrokerSecretStore(secretDir, AngelOneAppSchema, 'angelone');
    await store.writeApp(app);
    const login = await loginAngelOne(
      store,
      { name: DEFAULT_KITE_TOKEN_NAME },
      { root: simulator.apiRoot, network: { publicIp: LOCAL_PUBLIC_IP } },
    );
    return {
      simulator,
      login,
      secretDir,
      taskEnv: {
        MODE: 'LIVE',
        LIVE_CONFIRMATION,
        BROKER: 'angelone',
        BROKER_TOKEN_NAME: DEFAULT_KITE_TOKEN_NAME,
        BROKER_SECRET_STORE: 'local',
        BROKER_LOCAL_SECRET_DIR: secretDir,
        ANGELONE_API_ROOT: simulator.apiRoot,
        ANGELONE_ORDER_STREAM_URL: simulator.orderStreamUrl,
        ANGELONE_FEED_URL: simulator.feedUrl,
        ANGELONE_PUBLIC_IP: LOCAL_PUBLIC_IP,
        BROKER_TOKEN_POLL_MS: '1000',
      },
    };
  } catch (error) {
    await simulator.stop();
    throw error;
  }
}
