import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type * as z from 'zod';
import { UpstoxAppSchema } from '../../../contract/brokers';
import {
  type BrokerSecretStore,
  LocalBrokerSecretStore,
  SecretsManagerBrokerSecretStore,
} from '../../common/broker-secret-store';
import { BrokerTokenSource } from './broker/broker-token-source';
import { StreamSocket } from './broker/stream-socket';
import { createUpstoxBroker } from './broker/upstox/upstox-broker';
import type { ComposedVenue, VenueDeps } from './compose-broker';
import type { TradingConfig } from './config';
import { UpstoxFeed } from './market/upstox-feed';

/** The stage's store of one live broker's secrets, as configured. */
export function brokerSecretStore<App>(
  config: TradingConfig,
  broker: 'upstox' | 'angelone',
  appSchema: z.ZodType<App>,
): BrokerSecretStore<App> {
  if (config.brokerSecretStore === 'local')
    return new LocalBrokerSecretStore(
      config.env.BROKER_LOCAL_SECRET_DIR as string,
      appSchema,
      broker,
    );
  return new SecretsManagerBrokerSecretStore(
    new SecretsManagerClient({ maxAttempts: 3 }),
    config.env.STAGE,
    broker,
    appSchema,
  );
}

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
  const store = brokerSecretStore(config, 'upstox', UpstoxAppSchema);
  let upstox: ReturnType<typeof createUpstoxBroker> | undefined;
  const token = new BrokerTokenSource(store, {
    label: 'Upstox',
    broker: 'upstox',
    name: env.BROKER_TOKEN_NAME,
    pollMs: env.BROKER_TOKEN_POLL_MS,
    urgent: () => upstox?.broker.tokenProblem() !== undefined,
    // A call with the new token clears the adapter's token problem (and the halt it holds).
    onChange: () => void upstox?.broker.positions().catch(() => undefined),
    log,
  });
  await token.start();
  upstox = createUpstoxBroker({
    accessToken: () => token.accessToken(),
    apiRoot: env.UPSTOX_API_ROOT,
    orderRoot: env.UPSTOX_ORDER_ROOT,
    token: { name: env.BROKER_TOKEN_NAME, expiresAt: () => token.expiresAt() },
    strategies: env.BROKER_STRATEGIES ?? {},
    log,
  });
  const venue = upstox.venue;
  const symbols = new Map<string, string>();
  const missing: string[] = [];
  for (const { symbol } of universe.list()) {
    const instrument = await venue.instrument(symbol);
    if (instrument) symbols.set(instrument.instrumentKey, symbol);
    else missing.push(symbol);
  }
  if (missing.length > 0)
    log.warn({ missing }, "universe symbols not in Upstox's NSE equities: not subscribed");
  const socket = new StreamSocket({
    endpoint: async () => ({ url: await venue.marketFeedUri() }),
    onError: (err) => log.warn({ err }, 'Upstox market feed error'),
  });
  const feed = new UpstoxFeed({ socket, symbols, log });
  upstox.start();
  socket.start();
  const running = upstox;
  return {
    venue: running.broker,
    feed,
    close: async () => {
      token.stop();
      socket.close();
      await running.close();
    },
  };
}
