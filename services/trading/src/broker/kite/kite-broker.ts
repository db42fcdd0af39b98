import type { BrokerMargin, PriceBand } from '../broker';
import { TaggedBroker, type TaggedBrokerOptions } from '../tagged-broker';
import type { KiteTickerConnection } from './kite-ticker-connection';
import { KiteVenue, type KiteVenueOptions } from './kite-venue';

export interface KiteBrokerOptions
  extends KiteVenueOptions,
    Pick<
      TaggedBrokerOptions,
      'token' | 'strategies' | 'algoStrategies' | 'pollMs' | 'readRetries' | 'readBackoffMs' | 'log'
    > {
  /** The ticker carrying order updates (shared with `KiteFeed`; its owner starts and closes it). */
  readonly ticker: KiteTickerConnection;
}

/**
 * Zerodha Kite Connect v3 behind the `Broker` interface: the tagged core (`TaggedBroker`) over
 * `KiteVenue` (the official SDK), with the ticker's order updates as its order stream (the ticker
 * connection is an `OrderStream` as it is). The NSE instrument list is loaded at start, so that
 * the feed's subscriptions and the first order need no download.
 */
export class KiteBroker extends TaggedBroker {
  readonly instruments: KiteVenue['instruments'];
  // KiteVenue has margins and quotes: the core's optional capabilities are always there.
  declare readonly margin: () => Promise<BrokerMargin>;
  declare readonly marginRate: (strategyId: string) => number;
  declare readonly priceBands: (
    symbols: readonly string[],
  ) => Promise<ReadonlyMap<string, PriceBand>>;

  constructor(options: KiteBrokerOptions) {
    const venue = new KiteVenue(options);
    super({ ...options, name: 'kite', venue, stream: options.ticker });
    this.instruments = venue.instruments;
  }

  /** Loads the instruments and listens to the ticker; the ticker's owner starts it. */
  override async start(): Promise<void> {
    await this.read(() => this.instruments.load());
    super.start();
  }
}
