import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { StreamSocket } from '../broker/stream-socket';
import { LiveFeed, type LiveFeedOptions } from './live-feed';
import { FEED_TYPE, feedResponseType } from './upstox-proto';

export interface UpstoxFeedOptions extends LiveFeedOptions {
  /** The market data feed V3 socket (its endpoint: the SDK's authorize call). */
  readonly socket: StreamSocket;
  /** Instrument key (`NSE_EQ|<ISIN>`) -> our symbol, for the universe. */
  readonly symbols: ReadonlyMap<string, string>;
}

const LtpcSchema = z.object({
  ltp: z.number().positive(),
  ltt: z.number().int().nonnegative().optional(),
});
const QuoteSchema = z.object({ bidP: z.number().optional(), askP: z.number().optional() });
const FeedSchema = z.object({
  ltpc: LtpcSchema.optional(),
  fullFeed: z
    .object({
      marketFF: z
        .object({
          ltpc: LtpcSchema,
          marketLevel: z.object({ bidAskQuote: z.array(QuoteSchema).optional() }).optional(),
        })
        .optional(),
      indexFF: z.object({ ltpc: LtpcSchema }).optional(),
    })
    .optional(),
});
const FeedResponseSchema = z.object({
  type: z.number().int().optional(),
  feeds: z.record(z.string(), FeedSchema).optional(),
  currentTs: z.number().int().optional(),
});

/**
 * Live market data from Upstox's Market Data Feed V3 (protobuf `FeedResponse` frames, decoded
 * with the SDK's own `.proto`), `full` mode for the universe, re-subscribed after every
 * reconnect. Freshness comes from the exchange's timestamps (last trade time `ltt`, and the
 * frame's `currentTs` for depth), so a socket that stays open while the exchange goes quiet still
 * reads as stale; FEED_STALE and FEED_RECOVER are logged once per change, with the lags. Bad
 * frames and keys outside the universe are counted and logged, never thrown.
 */
export class UpstoxFeed extends LiveFeed {
  readonly name = 'upstox';
  /** Bad frames, feeds for keys outside the universe, and feeds decoded. */
  readonly counters = { malformedMessages: 0, unknownKeys: 0, feeds: 0 };

  constructor(private readonly options: UpstoxFeedOptions) {
    super(options, () => options.socket.connected());
    options.socket.onConnect(() => {
      if (this.running) this.subscribe();
    });
    options.socket.onMessage((data, binary) => {
      if (this.running && binary) this.onMessage(data);
    });
  }

  protected subscribeOnStart(): void {
    if (this.options.socket.connected()) this.subscribe();
  }

  /** The SDK's request shape: a binary frame of `{guid, method, data:{mode, instrumentKeys}}`. */
  private subscribe(): void {
    const request = {
      guid: randomUUID(),
      method: 'sub',
      data: { mode: 'full', instrumentKeys: [...this.options.symbols.keys()] },
    };
    this.options.socket.send(Buffer.from(JSON.stringify(request)));
  }

  private onMessage(data: Buffer): void {
    let message: z.output<typeof FeedResponseSchema>;
    try {
      const type = feedResponseType();
      const decoded = type.toObject(type.decode(data), { longs: Number, defaults: false });
      message = FeedResponseSchema.parse(decoded);
    } catch (err) {
      this.counters.malformedMessages += 1;
      this.options.log.warn(
        { err, bytes: data.byteLength, count: this.counters.malformedMessages },
        'malformed Upstox feed frame dropped',
      );
      return;
    }
    if (message.type === FEED_TYPE.market_info) return;
    const now = this.now();
    for (const [key, feed] of Object.entries(message.feeds ?? {})) {
      const symbol = this.options.symbols.get(key);
      if (symbol === undefined) {
        this.counters.unknownKeys += 1;
        this.options.log.warn(
          { instrumentKey: key, count: this.counters.unknownKeys },
          'Upstox feed for an instrument outside the universe: ignored',
        );
        continue;
      }
      const market = feed.fullFeed?.marketFF;
      const ltpc = market?.ltpc ?? feed.fullFeed?.indexFF?.ltpc ?? feed.ltpc;
      if (!ltpc) continue;
      this.counters.feeds += 1;
      if (ltpc.ltt) this.freshness.noteTick(ltpc.ltt);
      const best = market?.marketLevel?.bidAskQuote?.[0];
      if (best && message.currentTs) this.freshness.noteDepth(message.currentTs);
      this.onTick({
        symbol,
        price: ltpc.ltp,
        bid: best?.bidP || ltpc.ltp,
        ask: best?.askP || ltpc.ltp,
        time: message.currentTs ?? now,
      });
    }
  }
}
