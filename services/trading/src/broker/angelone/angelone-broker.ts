import { SMARTAPI_URLS } from '../../../../common/angelone/smartapi';
import { type SocketBroker, type SocketBrokerOptions, socketBroker } from '../socket-broker';
import { StreamSocket } from '../stream-socket';
import { AngelOneVenue, type AngelOneVenueOptions } from './angelone-venue';

export interface AngelOneBrokerOptions extends AngelOneVenueOptions, SocketBrokerOptions {
  /** The account's client code (`x-client-code`). */
  readonly clientCode: string;
  /** The session's feed token (`x-feed-token`). */
  readonly feedToken: () => string;
  /** @default the SDK's wss://tns.angelone.in/smart-order-update */
  readonly orderStreamUrl?: string;
  /** @default 10000, as the SDK pings */
  readonly heartbeatMs?: number;
}

/** Angel One's adapter and the order-status WebSocket that carries its order updates. */
export type AngelOneBroker = SocketBroker<AngelOneVenue>;

/** The headers Angel's sockets take (the SDK's WSOrderUpdates and WebSocketV2 send these). */
export function angelSocketHeaders(options: {
  readonly apiKey: string;
  readonly clientCode: string;
  readonly jwt: string;
  readonly feedToken: string;
  readonly bearer: boolean;
}): Record<string, string> {
  return {
    Authorization: options.bearer ? `Bearer ${options.jwt}` : options.jwt,
    'x-api-key': options.apiKey,
    'x-client-code': options.clientCode,
    'x-feed-token': options.feedToken,
  };
}

/**
 * The order-status socket's order updates: JSON text frames with `orderData`; the "AB00"
 * greeting (connected) and the "pong" heartbeat answers are not order updates.
 */
function orderUpdate(data: Buffer, binary: boolean): string | Buffer | undefined {
  const text = data.toString('utf8');
  if (text === 'pong' || /"order-status"\s*:\s*"AB00"/.test(text)) return undefined;
  return binary ? data : text;
}

/**
 * Angel One on `smartapi-javascript`: the REST calls through `AngelOneVenue`, order updates from
 * Angel's order-status WebSocket, the order book polled as the fallback and after every
 * reconnect. The SDK's own `WSOrderUpdates` is not used: its URL is a constant (no test can point
 * it at a simulator), its listeners are module-wide (two instances share them) and it reconnects
 * without backoff; our `StreamSocket` sends the same headers and the same "ping" heartbeat.
 */
export function createAngelOneBroker(options: AngelOneBrokerOptions): AngelOneBroker {
  const venue = new AngelOneVenue(options);
  const stream = new StreamSocket({
    endpoint: async () => ({
      url: options.orderStreamUrl ?? SMARTAPI_URLS.wsclientupdatesURL,
      headers: angelSocketHeaders({
        apiKey: options.apiKey,
        clientCode: options.clientCode,
        jwt: options.accessToken(),
        feedToken: options.feedToken(),
        bearer: true,
      }),
    }),
    reconnectBaseMs: options.reconnectBaseMs,
    reconnectMaxMs: options.reconnectMaxMs,
    heartbeat: { payload: 'ping', intervalMs: options.heartbeatMs ?? 10_000 },
    onError: (err) => options.log.warn({ err }, 'Angel One order-status socket error'),
  });
  return socketBroker('angelone', venue, stream, orderUpdate, options);
}
