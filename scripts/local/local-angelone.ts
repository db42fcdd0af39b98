import { randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import { stageTokensFor } from '../../contract/broker-tokens';
import { LIVE_CONFIRMATION } from '../../contract/names';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { type AngelSimulator, startAngelSimulator } from '../sim/angelone/simulator';
import { type LocalBroker, loginLocally } from './local-login';

/** The local stack's Angel One secret store: `<dir>/secrets/angelone`. */
export function localAngelOneSecretDir(dir: string): string {
  return path.join(dir, 'secrets', 'angelone');
}

/** The desk's "static IP" on the local stack: the loopback the simulator sees. */
const LOCAL_PUBLIC_IP = '127.0.0.1';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A running Angel One simulator, its sessions logged in. */
export type LocalAngelOne = LocalBroker<AngelSimulator>;

/**
 * Starts the Angel One simulator with made-up account credentials (a fresh API key, PIN and TOTP
 * seed each start), stores them as the app secret and logs each named session in unattended
 * through `loginLocally` (the registry's Angel One login: the path `tradeops token login --broker
 * angelone` and the token check's renewal take). The LIVE confirmation is implied here and only
 * here: the orders go to this simulator.
 */
export async function startLocalAngelOne(
  dir: string,
  port: number,
  names?: readonly string[],
): Promise<LocalAngelOne> {
  const tokens = stageTokensFor('angelone', names);
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
    await new LocalTokenSecretStore(secretDir, 'angelone').writeApp(tokens.trades, app);
    const endpoints = { apiRoot: simulator.apiRoot, secretDir, publicIp: LOCAL_PUBLIC_IP };
    const logins = await loginLocally(
      'angelone',
      { stage: 'local', secrets: { kind: 'local', dir: secretDir }, ...endpoints },
      tokens.names,
    );
    return {
      simulator,
      logins,
      secretDir,
      endpoints,
      taskEnv: {
        MODE: 'LIVE',
        LIVE_CONFIRMATION,
        BROKER: 'angelone',
        BROKER_TOKEN_NAME: tokens.trades,
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
