import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { stageTokensFor } from '../../contract/broker-tokens';
import { LIVE_CONFIRMATION } from '../../contract/names';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { startUpstoxSimulator, type UpstoxSimulator } from '../sim/upstox/simulator';
import { type LocalBroker, loginLocally } from './local-login';

/** The local stack's Upstox secret store: `<dir>/secrets/upstox`. */
export function localUpstoxSecretDir(dir: string): string {
  return path.join(dir, 'secrets', 'upstox');
}

/** A running Upstox simulator, every named token logged in through its own app. */
export type LocalUpstox = LocalBroker<UpstoxSimulator>;

/**
 * Starts the Upstox simulator with made-up apps, one per named token (the runbook's PRIMARY,
 * WEBSOCKET1-3, OPTIONCHAIN1-2 unless `names` says otherwise), a fresh secret each start; stores
 * each as `app-<NAME>` and logs every token in through `loginLocally` (the registry's Upstox login,
 * the path `tradeops token login` takes: the authorize link opened, its redirect pasted back with
 * its state checked). The LIVE confirmation is implied here and only here: the orders go to this
 * simulator. The trading task trades with the set's trading token.
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
  try {
    const secretDir = localUpstoxSecretDir(dir);
    const store = new LocalTokenSecretStore(secretDir, 'upstox');
    for (const app of apps)
      await store.writeApp(app.name, {
        client_id: app.clientId,
        client_secret: app.clientSecret,
        redirect_uri: simulator.redirectUri,
      });
    const endpoints = { apiRoot: simulator.apiRoot, secretDir, loginUrl: simulator.dialogUrl };
    const logins = await loginLocally(
      'upstox',
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
        BROKER: 'upstox',
        BROKER_TOKEN_NAME: tokens.trades,
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
