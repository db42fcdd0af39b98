import type { StreamSocket } from '../broker/stream-socket';
import { ANGEL_MODE, ANGEL_NSE_CM, type AngelPacket, decodeAngelPacket } from './angelone-binary';
import { LiveFeed, type LiveFeedOptions } from './live-feed';

export interface AngelOneFeedOptions extends LiveFeedOptions {
  /** The WebSocket V2 socket (its headers: the JWT, API key, client code, feed token). */
  readonly socket: StreamSocket;
  /** Symbol token (NSE cash) -> our symbol, for the universe. */
  readonly symbols: ReadonlyMap<string, string>;
}

/**
 * Live market data from Angel One's SmartAPI WebSocket V2: SNAP_QUOTE (mode 3, best five on each
 * side) for the universe's NSE tokens, re-subscribed after every reconnect. Freshness comes from
 * the exchange's timestamps (the last trade's, and the packet's for depth); FEED_STALE and
 * FEED_RECOVER are logged once per change, with the lags. Bad packets, tokens outside the
 * universe and Angel's text errors are counted and logged, never thrown.
 */
export class AngelOneFeed extends LiveFeed {
  readonly name = 'angelone';
  /** Bad frames, packets for tokens outside the universe, Angel's text errors, packets decoded. */
  readonly counters = { malformedMessages: 0, unknownTokens: 0, errorMessages: 0, packets: 0 };

  constructor(private readonly options: AngelOneFeedOptions) {
    super(options, () => options.socket.connected());
    options.socket.onConnect(() => {
      if (this.running) this.subscribe();
    });
    options.socket.onMessage((data, binary) => {
      if (this.running) this.onMessage(data, binary);
    });
  }

  protected subscribeOnStart(): void {
    if (this.options.socket.connected()) this.subscribe();
  }

  /** The SDK's request: `{correlationID, action: 1, params: {mode, tokenList}}` as text. */
  private subscribe(): void {
    const request = {
      correlationID: 'desk-universe',
      action: 1,
      params: {
        mode: ANGEL_MODE.snapQuote,
        tokenList: [{ exchangeType: ANGEL_NSE_CM, tokens: [...this.options.symbols.keys()] }],
      },
    };
    this.options.socket.send(JSON.stringify(request));
  }

  private onMessage(data: Buffer, binary: boolean): void {
    if (!binary) {
      const text = data.toString('utf8');
      if (text === 'pong') return;
      this.counters.errorMessages += 1;
      this.options.log.warn(
        { message: text.slice(0, 300), count: this.counters.errorMessages },
        'Angel One feed answered with a text message',
      );
      return;
    }
    let packet: AngelPacket;
    try {
      packet = decodeAngelPacket(data);
    } catch (err) {
      this.counters.malformedMessages += 1;
      this.options.log.warn(
        { err, bytes: data.byteLength, count: this.counters.malformedMessages },
        'malformed Angel One feed packet dropped',
      );
      return;
    }
    const symbol = this.options.symbols.get(packet.token);
    if (symbol === undefined || packet.exchangeType !== ANGEL_NSE_CM) {
      this.counters.unknownTokens += 1;
      this.options.log.warn(
        {
          token: packet.token,
          exchangeType: packet.exchangeType,
          count: this.counters.unknownTokens,
        },
        'Angel One packet for a token outside the universe: ignored',
      );
      return;
    }
    this.counters.packets += 1;
    if (packet.lastTradedTime) this.freshness.noteTick(packet.lastTradedTime);
    if (packet.bestBidPaise !== undefined || packet.bestAskPaise !== undefined)
      this.freshness.noteDepth(packet.exchangeTimestamp);
    const price = packet.lastTradedPricePaise / 100;
    this.onTick({
      symbol,
      price,
      bid: packet.bestBidPaise ? packet.bestBidPaise / 100 : price,
      ask: packet.bestAskPaise ? packet.bestAskPaise / 100 : price,
      time: packet.exchangeTimestamp || this.now(),
    });
  }
}
