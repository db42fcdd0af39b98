import type { TokenBroker } from '../../contract/broker-tokens';
import type { TokenLoginResult, TokenLoginTarget } from '../../services/common/tokens/token-login';
import { tokenLogin } from '../../services/common/tokens/token-login-registry';

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
    results.push(await login.exchange({ name, pasted, now: Date.now() }));
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
