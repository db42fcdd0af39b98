import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type BrokerKind, BrokerKindSchema, DEFAULT_KITE_TOKEN_NAME } from '../../contract/kite';
import { LIVE_CONFIRMATION } from '../../contract/names';
import { parseOrThrow } from '../../contract/validation';
import {
  exchangeRequestToken,
  type KiteLoginResult,
  kiteLoginLink,
  parseRequestToken,
} from '../../services/common/kite/kite-login';
import { LocalKiteSecretStore } from '../../services/common/kite/kite-secret-store';
import {
  type KiteSimulator,
  type KiteSimulatorOptions,
  startKiteSimulator,
} from '../sim/kite/simulator';

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

/** A running simulator, logged in, and what the trading tasks need to trade LIVE against it. */
export interface LocalKite {
  readonly simulator: KiteSimulator;
  readonly login: KiteLoginResult;
  readonly secretDir: string;
  /** Environment of a trading task: MODE=LIVE with BROKER=kite against the simulator. */
  readonly taskEnv: Readonly<Record<string, string>>;
}

/**
 * Starts the Kite simulator with made-up app credentials (a fresh secret each start), stores them
 * in the local secret store and logs in as a person would: opens the login link, takes the
 * request_token from the redirect URL and exchanges it through `exchangeRequestToken`, the path
 * `tradeops token login` takes. The LIVE confirmation is implied here and only here: the orders
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
    const store = new LocalKiteSecretStore(secretDir);
    await store.writeApp({ api_key: apiKey, api_secret: apiSecret });
    const res = await fetch(kiteLoginLink(apiKey, sim.loginUrl), { redirect: 'manual' });
    const redirect = res.headers.get('location');
    if (res.status !== 302 || !redirect)
      throw new Error(`the simulator's login page answered ${res.status} without a redirect`);
    const login = await exchangeRequestToken(
      store,
      { name: DEFAULT_KITE_TOKEN_NAME, requestToken: parseRequestToken(redirect) },
      { apiRoot: sim.apiRoot },
    );
    return {
      simulator: sim,
      login,
      secretDir,
      taskEnv: {
        MODE: 'LIVE',
        LIVE_CONFIRMATION,
        BROKER: 'kite',
        KITE_TOKEN_NAME: DEFAULT_KITE_TOKEN_NAME,
        KITE_SECRET_STORE: 'local',
        KITE_LOCAL_SECRET_DIR: secretDir,
        KITE_API_ROOT: sim.apiRoot,
        KITE_TICKER_ROOT: sim.tickerRoot,
        KITE_TOKEN_POLL_MS: '1000',
      },
    };
  } catch (error) {
    await sim.stop();
    throw error;
  }
}
