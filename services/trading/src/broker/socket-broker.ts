import type { ReconnectOptions } from './reconnect-backoff';
import type { StreamSocket } from './stream-socket';
import { TaggedBroker, type TaggedBrokerOptions } from './tagged-broker';
import type { TaggedVenue } from './tagged-venue';

/** What a socket-stream adapter hands on to its `TaggedBroker` as it was given. */
export interface SocketBrokerOptions
  extends Pick<
      TaggedBrokerOptions,
      'token' | 'strategies' | 'algoStrategies' | 'pollMs' | 'readBackoffMs' | 'log'
    >,
    ReconnectOptions {}

/** A broker's adapter and the socket that carries its order updates. */
export interface SocketBroker<V extends TaggedVenue> {
  readonly broker: TaggedBroker;
  readonly venue: V;
  /** The order-update socket; started by `start`, closed by `close`. */
  readonly stream: StreamSocket;
  start(): void;
  close(): Promise<void>;
}

/**
 * An order update in one of the socket's frames, as the order tracking parses it; undefined for a
 * frame that carries none (a greeting, a heartbeat answer, another kind of update).
 */
export type OrderUpdateFrame = (data: Buffer, binary: boolean) => string | Buffer | undefined;

/**
 * A `TaggedBroker` over `venue` whose order updates come over `socket` (the frames `orderUpdate`
 * picks), the order book polled as the fallback and after every reconnect.
 */
export function socketBroker<V extends TaggedVenue>(
  name: TaggedBrokerOptions['name'],
  venue: V,
  socket: StreamSocket,
  orderUpdate: OrderUpdateFrame,
  options: SocketBrokerOptions,
): SocketBroker<V> {
  const broker = new TaggedBroker({
    name,
    venue,
    stream: {
      connected: () => socket.connected(),
      onConnect: (listener) => socket.onConnect(listener),
      onOrderUpdate: (listener) =>
        socket.onMessage((data, binary) => {
          const update = orderUpdate(data, binary);
          if (update !== undefined) listener(update);
        }),
    },
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
    stream: socket,
    start() {
      broker.start();
      socket.start();
    },
    async close() {
      await broker.close();
      socket.close();
    },
  };
}
