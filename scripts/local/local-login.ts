import path from 'node:path';
import type { TokenBroker } from '../../contract/broker-tokens';
import { LIVE_CONFIRMATION } from '../../contract/names';
import { SESSION } from '../../services/common/market-calendar';
import { istDate, istTimeOn } from '../../services/common/time';
import type { TokenLoginResult, TokenLoginTarget } from '../../services/common/tokens/token-login';
import { tokenLogin } from '../../services/common/tokens/token-login-registry';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';

/**
 * When the local stack's interactive logins (Kite, Upstox) count as made. Its session is open whenever it runs
 * (SESSION_CLOCK=simulated: today's date, 09:15 to 15:30 on a loop), so a login before today's
 * open counts as made at the open, as on a trading morning. Otherwise, started between midnight
 * and the broker's flush (Kite 06:00, Upstox 03:30 IST), its tokens would die before the close of
 * the session it simulates and every resume would be refused NOT READY, as it rightly is for a
 * real token at that hour.
 */
export function sessionLoginTime(now: number): number {
  return Math.max(now, istTimeOn(istDate(now), SESSION.open));
}

/**
 * Logs the local stack's named tokens in at its simulator through the broker's login in the
 * registry, the one `tradeops token login` calls: an interactive broker's link is opened and the
 * redirect it answers with is pasted back, as a person would; an unattended one needs nothing.
 */
export async function loginLocally(
  broker: TokenBroker,
  target: TokenLoginTarget,
  names: readonly string[],
): Promise<TokenLoginResult[]> {
  const login = tokenLogin(broker, target);
  const results: TokenLoginResult[] = [];
  for (const name of names) {
    let pasted: string | undefined;
    if (login.mode === 'interactive') {
      const res = await fetch(await login.loginLink(name), { redirect: 'manual' });
      const redirect = res.headers.get('location');
      if (res.status !== 302 || !redirect)
        throw new Error(
          `the ${broker} simulator's login page answered ${res.status} without a redirect`,
        );
      pasted = redirect;
    }
    // An unattended login (Angel One's TOTP) is made now: its code is for the current 30 s, and
    // its session's expiry is the broker's own (in the JWT), not one computed from this time.
    const now = login.mode === 'interactive' ? sessionLoginTime(Date.now()) : Date.now();
    results.push(await login.exchange({ name, pasted, now }));
  }
  return results;
}

/** A live broker's simulator on the local stack, logged in, and what the trading tasks need. */
export interface LocalBroker<Simulator> {
  readonly simulator: Simulator;
  /** Each named token's login, in the order of the names. */
  readonly logins: readonly TokenLoginResult[];
  readonly secretDir: string;
  /** What the ops procedures, the CLI and the dashboard reach the broker's login with. */
  readonly endpoints: {
    readonly apiRoot: string;
    readonly secretDir: string;
    readonly loginUrl?: string;
    readonly publicIp?: string;
  };
  /** Environment of a trading task: MODE=LIVE with BROKER=<broker> against the simulator. */
  readonly taskEnv: Readonly<Record<string, string>>;
}

/** What a broker's local setup adds to its running simulator. */
export interface LocalBrokerSetup<B extends TokenBroker> {
  /** The simulator's endpoints the logins and the ops procedures use (besides the secrets). */
  readonly endpoints: {
    readonly apiRoot: string;
    readonly loginUrl?: string;
    readonly publicIp?: string;
  };
  /** The named tokens to log in, and the one the trading task trades with. */
  readonly names: readonly string[];
  readonly trades: string;
  /** Stores the simulator's app(s) in the stack's secret store for `broker`. */
  writeApps(store: LocalTokenSecretStore<B>): Promise<void>;
  /** The trading task's broker-specific environment (its API roots). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * A live broker on the local stack: its apps stored in `<dir>/secrets/<broker>`, its named tokens
 * logged in through `loginLocally`, and the trading task's environment (MODE=LIVE: the LIVE
 * confirmation is implied here and only here, as the orders go to the simulator). The simulator
 * is stopped if any of it fails.
 */
export async function localBrokerOn<B extends TokenBroker, S extends { stop(): Promise<void> }>(
  broker: B,
  dir: string,
  simulator: S,
  setup: LocalBrokerSetup<B>,
): Promise<LocalBroker<S>> {
  try {
    const secretDir = path.join(dir, 'secrets', broker);
    await setup.writeApps(new LocalTokenSecretStore(secretDir, broker));
    const endpoints = { ...setup.endpoints, secretDir };
    const logins = await loginLocally(
      broker,
      { stage: 'local', secrets: { kind: 'local', dir: secretDir }, ...endpoints },
      setup.names,
    );
    return {
      simulator,
      logins,
      secretDir,
      endpoints,
      taskEnv: {
        MODE: 'LIVE',
        LIVE_CONFIRMATION,
        BROKER: broker,
        BROKER_TOKEN_NAME: setup.trades,
        BROKER_SECRET_STORE: 'local',
        BROKER_LOCAL_SECRET_DIR: secretDir,
        ...setup.env,
        BROKER_TOKEN_POLL_MS: '1000',
      },
    };
  } catch (error) {
    await simulator.stop();
    throw error;
  }
}
