import { StreamSocket } from '../stream-socket';
import { TaggedBroker, type TaggedBrokerOptions } from '../tagged-broker';
import type { OrderStream } from '../tagged-venue';
import { UpstoxVenue, type UpstoxVenueOptions } from './upstox-venue';

export interface UpstoxBrokerOptions
  extends UpstoxVenueOptions,
    Pick<
      TaggedBrokerOptions,
      'token' | 'strategies' | 'algoStrategies' | 'pollMs' | 'readBackoffMs' | 'log'
    > {
  /** Reconnect backoff of the portfolio stream. @default 500 */
  readonly reconnectBaseMs?: number;
  readonly reconnectMaxMs?: number;
}

/** Upstox's adapter and the portfolio stream that carries its order updates. */
export interface UpstoxBroker {
  readonly broker: TaggedBroker;
  readonly venue: UpstoxVenue;
  /** The portfolio stream (order updates); started by `start`, closed by `close`. */
  readonly stream: StreamSocket;
  start(): void;
  close(): Promise<void>;
}

/**
 * The portfolio stream as an order stream: text frames of `update_type: "order"` only (positions
 * and holdings updates are not subscribed, and anything else is not an order update).
 */
function orderStream(socket: StreamSocket): OrderStream {
  return {
    connected: () => socket.connected(),
    onConnect: (listener) => socket.onConnect(listener),
    onOrderUpdate: (listener) =>
      socket.onMessage((data, binary) => {
        if (binary) return;
        const text = data.toString('utf8');
        // A non-order update is skipped; a frame that is not JSON goes on to be counted as malformed.
        if (/"update_type"\s*:\s*"(?!order")/.test(text)) return;
        listener(text);
      }),
  };
}

/**
 * Upstox on `upstox-js-sdk`: the REST calls through `UpstoxVenue`, order updates from the
 * portfolio stream (`/v2/feed/portfolio-stream-feed`, its one-time URI from the SDK's authorize
 * call, `update_types=order`), the order book polled as the fallback. The SDK's own
 * `PortfolioDataStreamer` is not used: it dials a hard-coded wss://api.upstox.com and cannot
 * reconnect (its `connect` reads an undefined `ws`), so the stream is our `StreamSocket` on the
 * same `ws` package the SDK uses.
 */
export function createUpstoxBroker(options: UpstoxBrokerOptions): UpstoxBroker {
  const venue = new UpstoxVenue(options);
  const stream = new StreamSocket({
    endpoint: async () => ({ url: await venue.portfolioStreamUri() }),
    reconnectBaseMs: options.reconnectBaseMs,
    reconnectMaxMs: options.reconnectMaxMs,
    onError: (err) => options.log.warn({ err }, 'Upstox portfolio stream error'),
  });
  const broker = new TaggedBroker({
    name: 'upstox',
    venue,
    stream: orderStream(stream),
    token: options.token,
    strategies: options.strategies,
    algoStrategies: options.algoStrategies,
    pollMs: options.pollMs,
    readBackoffMs: options.readBackoffMs,
    log: options.log,
  });
  return {
    broker,
    venue,
    stream,
    start() {
      broker.start();
      stream.start();
    },
    async close() {
      await broker.close();
      stream.close();
    },
  };
}
