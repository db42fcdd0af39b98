import { SMARTAPI_URLS } from '../../../../common/angelone/smartapi';
import { StreamSocket } from '../stream-socket';
import { TaggedBroker, type TaggedBrokerOptions } from '../tagged-broker';
import type { OrderStream } from '../tagged-venue';
import { AngelOneVenue, type AngelOneVenueOptions } from './angelone-venue';

export interface AngelOneBrokerOptions
  extends AngelOneVenueOptions,
    Pick<
      TaggedBrokerOptions,
      'token' | 'strategies' | 'algoStrategies' | 'pollMs' | 'readBackoffMs' | 'log'
    > {
  /** The account's client code (`x-client-code`). */
  readonly clientCode: string;
  /** The session's feed token (`x-feed-token`). */
  readonly feedToken: () => string;
  /** @default the SDK's wss://tns.angelone.in/smart-order-update */
  readonly orderStreamUrl?: string;
  /** Reconnect backoff of the order-status socket. @default 500 */
  readonly reconnectBaseMs?: number;
  readonly reconnectMaxMs?: number;
  /** @default 10000, as the SDK pings */
  readonly heartbeatMs?: number;
}

/** Angel One's adapter and the socket that carries its order updates. */
export interface AngelOneBroker {
  readonly broker: TaggedBroker;
  readonly venue: AngelOneVenue;
  /** The order-status WebSocket; started by `start`, closed by `close`. */
  readonly stream: StreamSocket;
  start(): void;
  close(): Promise<void>;
}

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
 * The order-status socket as an order stream: JSON text frames with `orderData`; the "AB00"
 * greeting (connected) and the "pong" heartbeat answers are not order updates.
 */
function orderStream(socket: StreamSocket): OrderStream {
  return {
    connected: () => socket.connected(),
    onConnect: (listener) => socket.onConnect(listener),
    onOrderUpdate: (listener) =>
      socket.onMessage((data, binary) => {
        const text = data.toString('utf8');
        if (text === 'pong' || /"order-status"\s*:\s*"AB00"/.test(text)) return;
        listener(binary ? data : text);
      }),
  };
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
  const broker = new TaggedBroker({
    name: 'angelone',
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
