import { type SocketBroker, type SocketBrokerOptions, socketBroker } from '../socket-broker';
import { StreamSocket } from '../stream-socket';
import { UpstoxVenue, type UpstoxVenueOptions } from './upstox-venue';

export interface UpstoxBrokerOptions extends UpstoxVenueOptions, SocketBrokerOptions {}

/** Upstox's adapter and the portfolio stream that carries its order updates. */
export type UpstoxBroker = SocketBroker<UpstoxVenue>;

/**
 * The portfolio stream's order updates: text frames of `update_type: "order"` only (positions
 * and holdings updates are not subscribed, and anything else is not an order update).
 */
function orderUpdate(data: Buffer, binary: boolean): string | undefined {
  if (binary) return undefined;
  const text = data.toString('utf8');
  // A non-order update is skipped; a frame that is not JSON goes on to be counted as malformed.
  if (/"update_type"\s*:\s*"(?!order")/.test(text)) return undefined;
  return text;
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
  return socketBroker('upstox', venue, stream, orderUpdate, options);
}
