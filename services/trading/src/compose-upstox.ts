import { StreamSocket } from './broker/stream-socket';
import { createUpstoxBroker } from './broker/upstox/upstox-broker';
import type { ComposedVenue, VenueDeps } from './compose-broker';
import {
  brokerSecretStore,
  startBrokerToken,
  startSocketVenue,
  universeKeys,
} from './compose-live-broker';
import type { TradingConfig } from './config';
import { UpstoxFeed } from './market/upstox-feed';

/**
 * BROKER=upstox: the Upstox adapter (order updates on the portfolio stream) and `UpstoxFeed` on
 * the market data feed V3, with the access token re-read from the stage's secret store; the
 * universe's symbols Upstox does not list on NSE are logged and not subscribed (orders for them
 * are refused by the adapter).
 */
export async function composeUpstox(
  config: TradingConfig,
  deps: VenueDeps,
): Promise<ComposedVenue> {
  const { env } = config;
  const { log, universe } = deps;
  const store = brokerSecretStore(config, 'upstox');
  let upstox: ReturnType<typeof createUpstoxBroker> | undefined;
  const token = await startBrokerToken(config, store, {
    label: 'Upstox',
    broker: 'upstox',
    adapter: () => upstox?.broker,
    log,
  });
  upstox = createUpstoxBroker({
    accessToken: () => token.accessToken(),
    apiRoot: env.UPSTOX_API_ROOT,
    orderRoot: env.UPSTOX_ORDER_ROOT,
    token: { name: env.BROKER_TOKEN_NAME, expiresAt: () => token.expiresAt() },
    strategies: env.BROKER_STRATEGIES ?? {},
    algoStrategies: deps.algoStrategies,
    log,
  });
  const venue = upstox.venue;
  const symbols = await universeKeys(
    universe,
    async (symbol) => (await venue.instrument(symbol))?.instrumentKey,
    'Upstox',
    log,
  );
  const socket = new StreamSocket({
    endpoint: async () => ({ url: await venue.marketFeedUri() }),
    onError: (err) => log.warn({ err }, 'Upstox market feed error'),
  });
  const feed = new UpstoxFeed({ socket, symbols, log });
  return startSocketVenue(upstox, socket, feed, token);
}
