import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from 'pino';
import type { TokenBroker } from '../../../contract/broker-tokens';
import { type TokenSecretStore, tokenSecretStore } from '../../common/tokens/token-secret-store';
import { BrokerTokenSource } from './broker/broker-token-source';
import type { SocketBroker } from './broker/socket-broker';
import type { StreamSocket } from './broker/stream-socket';
import type { TaggedBroker } from './broker/tagged-broker';
import type { TaggedVenue } from './broker/tagged-venue';
import type { ComposedVenue } from './compose-broker';
import type { TradingConfig } from './config';
import type { MarketDataFeed } from './market/feed';
import type { Universe } from './universe';

/**
 * What composing the live brokers shares: the stage's secret store of the broker, the session
 * re-read from it, and the universe mapped onto the broker's instrument keys.
 */

/** The stage's store of its live broker's secrets, as configured. */
export function brokerSecretStore<B extends TokenBroker>(
  config: TradingConfig,
  broker: B,
): TokenSecretStore<B> {
  return tokenSecretStore(
    config.env.STAGE,
    config.brokerSecretStore === 'local'
      ? { kind: 'local', dir: config.env.BROKER_LOCAL_SECRET_DIR as string }
      : { kind: 'aws', client: new SecretsManagerClient({ maxAttempts: 3 }) },
    broker,
  );
}

/**
 * The session the task trades with, read now (none stops the start) and re-read: quickly while
 * the adapter reports a refused token, and a new version makes the adapter prove it with a call
 * (which clears its token problem and the halt it holds).
 */
export async function startBrokerToken(
  config: TradingConfig,
  store: Pick<TokenSecretStore, 'where' | 'readToken'>,
  options: {
    readonly label: string;
    readonly broker: TokenBroker;
    readonly adapter: () => Pick<TaggedBroker, 'tokenProblem' | 'positions'> | undefined;
    readonly log: Logger;
  },
): Promise<BrokerTokenSource> {
  const token = new BrokerTokenSource(store, {
    label: options.label,
    broker: options.broker,
    name: config.env.BROKER_TOKEN_NAME,
    pollMs: config.env.BROKER_TOKEN_POLL_MS,
    urgent: () => options.adapter()?.tokenProblem() !== undefined,
    onChange: () =>
      void options
        .adapter()
        ?.positions()
        .catch(() => undefined),
    log: options.log,
  });
  await token.start();
  return token;
}

/** The broker's key of each universe symbol; symbols it does not list are logged, not kept. */
export async function universeKeys(
  universe: Universe,
  keyOf: (symbol: string) => Promise<string | undefined>,
  label: string,
  log: Logger,
): Promise<Map<string, string>> {
  const symbols = new Map<string, string>();
  const missing: string[] = [];
  for (const { symbol } of universe.list()) {
    const key = await keyOf(symbol);
    if (key === undefined) missing.push(symbol);
    else symbols.set(key, symbol);
  }
  if (missing.length > 0)
    log.warn({ missing }, `universe symbols not in ${label}'s NSE equities: not subscribed`);
  return symbols;
}

/**
 * Starts a socket adapter (order updates on its socket) and its market feed's socket; closing
 * the venue stops the token re-reads, the feed's socket and the adapter.
 */
export function startSocketVenue(
  adapter: SocketBroker<TaggedVenue>,
  feedSocket: StreamSocket,
  feed: MarketDataFeed,
  token: { stop(): void },
): ComposedVenue {
  adapter.start();
  feedSocket.start();
  return {
    venue: adapter.broker,
    feed,
    close: async () => {
      token.stop();
      feedSocket.close();
      await adapter.close();
    },
  };
}
