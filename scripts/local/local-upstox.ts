import { randomBytes } from 'node:crypto';
import { stageTokensFor } from '../../contract/broker-tokens';
import { startUpstoxSimulator, type UpstoxSimulator } from '../sim/upstox/simulator';
import { type LocalBroker, localBrokerOn } from './local-login';

/** A running Upstox simulator, every named token logged in through its own app. */
export type LocalUpstox = LocalBroker<UpstoxSimulator>;

/**
 * Starts the Upstox simulator with made-up apps, one per named token (the runbook's PRIMARY,
 * WEBSOCKET1-3, OPTIONCHAIN1-2 unless `names` says otherwise), a fresh secret each start; stores
 * each as `app-<NAME>` and logs every token in through `loginLocally` (the registry's Upstox login,
 * the path `tradeops token login` takes: the authorize link opened, its redirect pasted back with
 * its state checked). The trading task trades with the set's trading token.
 */
export async function startLocalUpstox(
  dir: string,
  port: number,
  names?: readonly string[],
): Promise<LocalUpstox> {
  const tokens = stageTokensFor('upstox', names);
  const apps = tokens.names.map((name) => ({
    name,
    clientId: `localsim-${name.toLowerCase()}`,
    clientSecret: randomBytes(16).toString('hex'),
  }));
  const [first, ...more] = apps;
  if (!first) throw new Error('an Upstox stack needs at least one named token');
  const simulator = await startUpstoxSimulator({
    port,
    ...first,
    moreApps: more,
    userId: 'SIM001',
  });
  return localBrokerOn('upstox', dir, simulator, {
    endpoints: { apiRoot: simulator.apiRoot, loginUrl: simulator.dialogUrl },
    names: tokens.names,
    trades: tokens.trades,
    writeApps: async (store) => {
      for (const app of apps)
        await store.writeApp(app.name, {
          client_id: app.clientId,
          client_secret: app.clientSecret,
          redirect_uri: simulator.redirectUri,
        });
    },
    env: { UPSTOX_API_ROOT: simulator.apiRoot },
  });
}
