import { randomBytes, randomInt } from 'node:crypto';
import { stageTokensFor } from '../../contract/broker-tokens';
import { type AngelSimulator, startAngelSimulator } from '../sim/angelone/simulator';
import { type LocalBroker, localBrokerOn } from './local-login';

/** The desk's "static IP" on the local stack: the loopback the simulator sees. */
const LOCAL_PUBLIC_IP = '127.0.0.1';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A running Angel One simulator, its sessions logged in. */
export type LocalAngelOne = LocalBroker<AngelSimulator>;

/**
 * Starts the Angel One simulator with made-up account credentials (a fresh API key, PIN and TOTP
 * seed each start), stores them as the app secret and logs each named session in unattended
 * through `loginLocally` (the registry's Angel One login: the path `tradeops token login --broker
 * angelone` and the token check's renewal take).
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
  return localBrokerOn('angelone', dir, simulator, {
    endpoints: { apiRoot: simulator.apiRoot, publicIp: LOCAL_PUBLIC_IP },
    names: tokens.names,
    trades: tokens.trades,
    writeApps: (store) => store.writeApp(tokens.trades, app),
    env: {
      ANGELONE_API_ROOT: simulator.apiRoot,
      ANGELONE_ORDER_STREAM_URL: simulator.orderStreamUrl,
      ANGELONE_FEED_URL: simulator.feedUrl,
      ANGELONE_PUBLIC_IP: LOCAL_PUBLIC_IP,
    },
  });
}
