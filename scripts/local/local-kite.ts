import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_TOKEN_NAME } from '../../contract/broker-tokens';
import { type BrokerKind, BrokerKindSchema } from '../../contract/brokers';
import { LIVE_CONFIRMATION } from '../../contract/names';
import { parseOrThrow } from '../../contract/validation';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import {
  type KiteSimulator,
  type KiteSimulatorOptions,
  startKiteSimulator,
} from '../sim/kite/simulator';
import { type LocalBroker, loginLocally } from './local-login';

/** `--broker paper|kite|upstox|angelone` from the command line. @default paper */
export function brokerArgument(argv: readonly string[]): BrokerKind {
  const at = argv.indexOf('--broker');
  const inline = argv.find((a) => a.startsWith('--broker='))?.slice('--broker='.length);
  const value = inline ?? (at >= 0 ? argv[at + 1] : undefined);
  return parseOrThrow(
    BrokerKindSchema,
    value ?? 'paper',
    '--broker (expected paper, kite, upstox or angelone)',
  );
}

/** The local stack's Kite secret store: `<dir>/secrets/kite`, the same interface as AWS's. */
export function localKiteSecretDir(dir: string): string {
  return path.join(dir, 'secrets', 'kite');
}

/** A running Kite simulator, logged in. */
export type LocalKite = LocalBroker<KiteSimulator>;

/**
 * Starts the Kite simulator with made-up app credentials (a fresh secret each start), stores them
 * in the local secret store and logs in through `loginLocally`: the registry's Kite login, the
 * path `tradeops token login` takes, with the login link's redirect pasted as a person would. The LIVE confirmation is implied here and only here: the orders
 * go to the simulator this function started. `simulator`: more of its options (the benchmark's
 * clock and door hook).
 */
export async function startLocalKite(
  dir: string,
  port: number,
  simulator: Omit<KiteSimulatorOptions, 'port' | 'apiKey' | 'apiSecret' | 'userId'> = {},
): Promise<LocalKite> {
  const apiKey = 'localsim';
  const apiSecret = randomBytes(16).toString('hex');
  const sim = await startKiteSimulator({
    ...simulator,
    port,
    apiKey,
    apiSecret,
    userId: 'SIM001',
  });
  try {
    const secretDir = localKiteSecretDir(dir);
    await new LocalTokenSecretStore(secretDir, 'kite').writeApp(DEFAULT_TOKEN_NAME, {
      api_key: apiKey,
      api_secret: apiSecret,
    });
    const endpoints = { apiRoot: sim.apiRoot, secretDir, loginUrl: sim.loginUrl };
    const logins = await loginLocally(
      'kite',
      { stage: 'local', secrets: { kind: 'local', dir: secretDir }, ...endpoints },
      [DEFAULT_TOKEN_NAME],
    );
    return {
      simulator: sim,
      logins,
      secretDir,
      endpoints,
      taskEnv: {
        MODE: 'LIVE',
        LIVE_CONFIRMATION,
        BROKER: 'kite',
        BROKER_TOKEN_NAME: DEFAULT_TOKEN_NAME,
        BROKER_SECRET_STORE: 'local',
        BROKER_LOCAL_SECRET_DIR: secretDir,
        KITE_API_ROOT: sim.apiRoot,
        KITE_TICKER_ROOT: sim.tickerRoot,
        BROKER_TOKEN_POLL_MS: '1000',
      },
    };
  } catch (error) {
    await sim.stop();
    throw error;
  }
}
