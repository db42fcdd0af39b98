import { randomBytes } from 'node:crypto';
import { DEFAULT_TOKEN_NAME } from '../../contract/broker-tokens';
import { type BrokerKind, BrokerKindSchema } from '../../contract/brokers';
import { parseOrThrow } from '../../contract/validation';
import {
  type KiteSimulator,
  type KiteSimulatorOptions,
  startKiteSimulator,
} from '../sim/kite/simulator';
import { type LocalBroker, localBrokerOn } from './local-login';

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

/** A running Kite simulator, logged in. */
export type LocalKite = LocalBroker<KiteSimulator>;

/**
 * Starts the Kite simulator with made-up app credentials (a fresh secret each start), stores them
 * in the local secret store and logs in through `loginLocally`: the registry's Kite login, the
 * path `tradeops token login` takes, with the login link's redirect pasted as a person would.
 * `simulator`: more of its options (the benchmark's clock and door hook).
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
  return localBrokerOn('kite', dir, sim, {
    endpoints: { apiRoot: sim.apiRoot, loginUrl: sim.loginUrl },
    names: [DEFAULT_TOKEN_NAME],
    trades: DEFAULT_TOKEN_NAME,
    writeApps: (store) =>
      store.writeApp(DEFAULT_TOKEN_NAME, { api_key: apiKey, api_secret: apiSecret }),
    env: { KITE_API_ROOT: sim.apiRoot, KITE_TICKER_ROOT: sim.tickerRoot },
  });
}
