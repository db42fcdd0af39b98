import type * as pg from 'pg';
import type { Logger } from 'pino';
import { DEFAULT_BROKER_TOKENS } from '../../../contract/stage';
import type { Broker } from './broker/broker';
import { KiteBroker } from './broker/kite/kite-broker';
import { KiteTickerConnection } from './broker/kite/kite-ticker-connection';
import { PaperBroker } from './broker/paper-broker';
import { composeAngelOne } from './compose-angelone';
import { brokerSecretStore, startBrokerToken } from './compose-live-broker';
import { composeUpstox } from './compose-upstox';
import type { TradingConfig } from './config';
import { CsvReplayFeed, type MarketDataFeed, SimulatedFeed } from './market/feed';
import { KiteFeed } from './market/kite-feed';
import type { TradingSession } from './market/session';
import type { Portfolio } from './oms/portfolio';
import type { Universe } from './universe';

/** The venue the orders go to and the feed the prices come from, as configured. */
export interface ComposedVenue {
  readonly venue: Broker;
  readonly feed: MarketDataFeed;
  /** Stops what the venue runs (polls, the ticker, token re-reads); after `service.stop`. */
  close(): Promise<void>;
}

/** What the venue is built on. */
export interface VenueDeps {
  readonly venuePool: pg.Pool;
  readonly universe: Universe;
  readonly session: TradingSession;
  readonly portfolio: Portfolio;
  /** Algo ID -> strategy id, for the live brokers' tag lookups. */
  readonly algoStrategies: ReadonlyMap<string, string>;
  readonly log: Logger;
}

/**
 * BROKER=paper: the paper venue (on its own pool) and the simulated or CSV feed. BROKER=upstox:
 * `composeUpstox`; BROKER=angelone: `composeAngelOne`. BROKER=kite:
 * the Kite adapter and `KiteFeed` on one ticker connection, with the access token re-read from the
 * stage's secret store; the universe's symbols missing from Kite's NSE list are logged and not
 * subscribed (orders for them are refused by the adapter).
 */
export async function composeVenue(config: TradingConfig, deps: VenueDeps): Promise<ComposedVenue> {
  const { env } = config;
  const { log, universe, session, portfolio } = deps;
  if (env.BROKER === 'paper') {
    const feed: MarketDataFeed =
      env.FEED === 'csv'
        ? await CsvReplayFeed.fromFile(env.FEED_CSV_FILE as string, session, env.FEED_TICK_MS)
        : new SimulatedFeed(() => universe.list(), session, {
            seed: env.FEED_SEED,
            tickMs: env.FEED_TICK_MS,
          });
    const venue = new PaperBroker(
      deps.venuePool,
      { quote: (symbol) => portfolio.quote(symbol) },
      {
        slippageBps: env.PAPER_SLIPPAGE_BPS,
        latencyMs: env.PAPER_LATENCY_MS,
        partialFillProbability: env.PAPER_PARTIAL_FILL_PROBABILITY,
        seed: env.FEED_SEED,
        tokenNames: env.BROKER_TOKEN_NAMES ?? DEFAULT_BROKER_TOKENS,
        onError: (err, clientOrderId) =>
          log.error(
            { err, clientOrderId },
            'paper venue could not fill; retrying on the next price',
          ),
      },
    );
    return { venue, feed, close: async () => {} };
  }
  if (env.BROKER === 'upstox') return composeUpstox(config, deps);
  if (env.BROKER === 'angelone') return composeAngelOne(config, deps);

  const store = brokerSecretStore(config, 'kite');
  const app = await store.readApp(env.BROKER_TOKEN_NAME);
  let kite: KiteBroker | undefined;
  const token = await startBrokerToken(config, store, {
    label: 'Kite',
    broker: 'kite',
    adapter: () => kite,
    log,
  });
  const ticker = new KiteTickerConnection({
    apiKey: app.api_key,
    accessToken: () => token.accessToken(),
    root: env.KITE_TICKER_ROOT,
    onError: (err) => log.warn({ err }, 'Kite ticker error'),
  });
  kite = new KiteBroker({
    apiKey: app.api_key,
    apiSecret: app.api_secret,
    accessToken: () => token.accessToken(),
    token: { name: env.BROKER_TOKEN_NAME, expiresAt: () => token.expiresAt() },
    root: env.KITE_API_ROOT,
    strategies: env.BROKER_STRATEGIES ?? {},
    algoStrategies: deps.algoStrategies,
    ticker,
    log,
  });
  await kite.start();
  const symbols = new Map<number, string>();
  const missing: string[] = [];
  for (const { symbol } of universe.list()) {
    const instrument = kite.instruments.bySymbolName(symbol);
    if (instrument) symbols.set(instrument.instrument_token, symbol);
    else missing.push(symbol);
  }
  if (missing.length > 0)
    log.warn({ missing }, "universe symbols not in Kite's NSE instrument list: not subscribed");
  const feed = new KiteFeed({ ticker, symbols, log });
  ticker.start();
  const broker = kite;
  return {
    venue: broker,
    feed,
    close: async () => {
      token.stop();
      await broker.close();
      ticker.close();
    },
  };
}
