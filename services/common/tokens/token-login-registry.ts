import type { TokenBroker } from '../../../contract/broker-tokens';
import { kiteTokenLogin } from '../kite/kite-token-login';
import type { BrokerTokenLogin, BrokerTokenLoginFactory, TokenLoginTarget } from './token-login';

/**
 * The login of each broker (see `BrokerTokenLogin`). Kite's is built in; Upstox's and Angel
 * One's are added here (or with `registerTokenLogin` at start) when their exchanges land: the CLI,
 * the token check and the dashboard pick them up with no change of their own.
 */
const LOGINS = new Map<TokenBroker, BrokerTokenLoginFactory>([['kite', kiteTokenLogin]]);

/** Adds (or replaces) a broker's login. */
export function registerTokenLogin(broker: TokenBroker, factory: BrokerTokenLoginFactory): void {
  LOGINS.set(broker, factory);
}

/** The brokers with a login in this build. */
export function registeredTokenBrokers(): TokenBroker[] {
  return [...LOGINS.keys()];
}

/** The login of `broker` for one stage; a broker without one is an error naming those there are. */
export function tokenLogin(broker: TokenBroker, target: TokenLoginTarget): BrokerTokenLogin {
  const factory = LOGINS.get(broker);
  if (!factory)
    throw new Error(
      `no ${broker} login in this build (registered: ${registeredTokenBrokers().join(', ')}): register it in services/common/tokens/token-login-registry.ts`,
    );
  return factory(target);
}
