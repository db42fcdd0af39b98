import type { TokenBroker } from '../../../contract/broker-tokens';
import type { BrokerTokenLogin, BrokerTokenLoginFactory, TokenLoginTarget } from './token-login';

/**
 * The login of each broker (see `BrokerTokenLogin`): the CLI, the token check, the checklists and
 * the dashboard reach a broker's login exchange, proof and logout through here only. Each is
 * required when first asked for: a stage loads its own broker's SDK and no other (Angel One's
 * patches modules as it loads).
 */
const LOGINS: Readonly<Record<TokenBroker, () => BrokerTokenLoginFactory>> = {
  kite: () =>
    (require('../kite/kite-token-login') as typeof import('../kite/kite-token-login'))
      .kiteTokenLogin,
  upstox: () =>
    (require('../upstox/upstox-token-login') as typeof import('../upstox/upstox-token-login'))
      .upstoxTokenLogin,
  angelone: () =>
    (
      require('../angelone/angelone-token-login') as typeof import('../angelone/angelone-token-login')
    ).angelOneTokenLogin,
};

/** The login of `broker` for one stage. */
export function tokenLogin(broker: TokenBroker, target: TokenLoginTarget): BrokerTokenLogin {
  return LOGINS[broker]()(target);
}
