import type { KiteTickerConnection } from '../broker/kite/kite-ticker-connection';
import { decodeKiteMessage } from './kite-binary';
import { LiveFeed, type LiveFeedOptions } from './live-feed';

export interface KiteFeedOptions extends LiveFeedOptions {
  readonly ticker: KiteTickerConnection;
  /** Instrument token -> our symbol, for the universe (from `KiteInstruments`). */
  readonly symbols: ReadonlyMap<number, string>;
}

/**
 * Live market data from Kite's ticker in `full` mode for the universe. Freshness comes from the
 * exchange's own timestamps (last trade time, depth time), so a connection that stays open while
 * the exchange goes quiet still reads as stale; FEED_STALE and FEED_RECOVER are logged once per
 * change (`FeedFreshness`, as for the other brokers' feeds). Bad frames and tokens outside the universe are counted and logged, never thrown.
 */
export class KiteFeed extends LiveFeed {
  readonly name = 'kite';
  /** Bad frames, packets for tokens outside the universe, and packets decoded. */
  readonly counters = { malformedMessages: 0, unknownTokens: 0, packets: 0 };

  constructor(private readonly options: KiteFeedOptions) {
    super(options, () => options.ticker.connected());
    options.ticker.onBinary((data) => {
      if (this.running) this.onMessage(data);
    });
  }

  protected subscribeOnStart(): void {
    this.options.ticker.subscribe([...this.options.symbols.keys()], 'full');
  }

  private onMessage(data: ArrayBuffer): void {
    const { packets, problems } = decodeKiteMessage(data);
    if (problems.length > 0) {
      this.counters.malformedMessages += 1;
      this.options.log.warn(
        { problems, bytes: data.byteLength, count: this.counters.malformedMessages },
        'malformed Kite ticker message: its bad packets are dropped',
      );
    }
    for (const p of packets) {
      const symbol = this.options.symbols.get(p.instrumentToken);
      if (symbol === undefined) {
        this.counters.unknownTokens += 1;
        this.options.log.warn(
          { instrumentToken: p.instrumentToken, count: this.counters.unknownTokens },
          'Kite tick for an instrument token outside the universe: ignored',
        );
        continue;
      }
      this.counters.packets += 1;
      const now = this.now();
      if (p.lastTradeTime !== undefined) this.freshness.noteTick(p.lastTradeTime);
      if (p.exchangeTimestamp !== undefined) this.freshness.noteDepth(p.exchangeTimestamp);
      this.onTick({
        symbol,
        price: p.lastPrice,
        bid: p.bestBid || p.lastPrice,
        ask: p.bestAsk || p.lastPrice,
        time: p.exchangeTimestamp ?? now,
      });
    }
  }
}
