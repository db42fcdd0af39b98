import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import * as z from 'zod';
import {
  ANGEL_DEPTH_ENTRY_BYTES,
  ANGEL_MODE,
  ANGEL_NSE_CM,
  ANGEL_OFFSET,
  ANGEL_PACKET_BYTES,
} from '../../../services/trading/src/market/angelone-binary';
import type { MarketState, PriceWalk } from '../shared/price-walk';
import type { AngelSessions } from './session';
import { connectedJson } from './wire';

/** Where the two sockets live, as Angel One's URLs name them (the host aside). */
export const ORDER_UPDATE_PATH = '/smart-order-update';
export const FEED_PATH = '/smart-stream';

const subscription = z.object({
  correlationID: z.string().optional(),
  action: z.union([z.literal(0), z.literal(1)]),
  params: z.object({
    mode: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    tokenList: z.array(
      z.object({ exchangeType: z.number().int(), tokens: z.array(z.string().min(1)) }),
    ),
  }),
});

interface FeedClient {
  readonly socket: WebSocket;
  /** Symbol token -> mode. */
  readonly modes: Map<string, number>;
  sequence: number;
}

/**
 * The order-status WebSocket (JSON: an "AB00" greeting, then one message per order change) and
 * the SmartAPI WebSocket V2 feed (JSON subscriptions in, one binary packet per token out), both
 * answering the text heartbeat "ping" with "pong". An upgrade without a live session's headers
 * (order updates: `Authorization: Bearer <jwt>`; the feed: the JWT, `x-api-key`,
 * `x-client-code`, `x-feed-token`) is answered 401.
 */
export class AngelStreams {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly orderSockets = new Set<WebSocket>();
  private readonly feed = new Set<FeedClient>();

  constructor(
    private readonly sessions: AngelSessions,
    private readonly walk: PriceWalk,
    private readonly instrumentTokenOf: (symbolToken: string) => number | undefined,
  ) {}

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      if (path !== ORDER_UPDATE_PATH && path !== FEED_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (!this.allowed(path, request)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) =>
        path === ORDER_UPDATE_PATH ? this.acceptOrders(ws) : this.acceptFeed(ws),
      );
    });
  }

  get connectionCount(): { orders: number; feed: number } {
    return { orders: this.orderSockets.size, feed: this.feed.size };
  }

  publishOrderUpdate(update: unknown): void {
    const text = JSON.stringify(update);
    for (const s of this.orderSockets) if (s.readyState === s.OPEN) s.send(text);
  }

  /** Sends every feed connection a packet per subscribed token. */
  publishTicks(): void {
    for (const client of this.feed) this.sendPackets(client, [...client.modes.keys()]);
  }

  /** Sends every feed connection bytes that are no packet. */
  publishRaw(bytes: Buffer): void {
    for (const client of this.feed) client.socket.send(bytes, { binary: true });
  }

  /** Drops every connection without a close handshake, as a network cut. */
  dropAll(): number {
    const count = this.orderSockets.size + this.feed.size;
    for (const s of this.orderSockets) s.terminate();
    for (const c of this.feed) c.socket.terminate();
    this.orderSockets.clear();
    this.feed.clear();
    return count;
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private allowed(path: string, request: IncomingMessage): boolean {
    if (path === FEED_PATH) return this.sessions.feedAllowed(request.headers);
    try {
      return /^Bearer /.test(request.headers.authorization ?? '')
        ? Boolean(this.sessions.authenticate(request.headers.authorization))
        : false;
    } catch {
      return false;
    }
  }

  private acceptOrders(socket: WebSocket): void {
    this.orderSockets.add(socket);
    const forget = () => this.orderSockets.delete(socket);
    socket.on('close', forget);
    socket.on('error', forget);
    socket.on('message', (data: Buffer) => {
      if (data.toString() === 'ping') socket.send('pong');
    });
    socket.send(JSON.stringify(connectedJson(this.sessions.account.clientCode)));
  }

  private acceptFeed(socket: WebSocket): void {
    const client: FeedClient = { socket, modes: new Map(), sequence: 0 };
    this.feed.add(client);
    const forget = () => this.feed.delete(client);
    socket.on('close', forget);
    socket.on('error', forget);
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (text === 'ping') {
        socket.send('pong');
        return;
      }
      let request: z.output<typeof subscription>;
      try {
        request = subscription.parse(JSON.parse(text));
      } catch {
        socket.send(
          JSON.stringify({ errorCode: 'E1002', errorMessage: 'Invalid Request Payload.' }),
        );
        return;
      }
      const tokens = request.params.tokenList
        .filter((t) => t.exchangeType === ANGEL_NSE_CM)
        .flatMap((t) => t.tokens)
        .filter((t) => this.instrumentTokenOf(t) !== undefined);
      for (const t of tokens) {
        if (request.action === 1) client.modes.set(t, request.params.mode);
        else client.modes.delete(t);
      }
      if (request.action === 1) this.sendPackets(client, tokens);
    });
  }

  private sendPackets(client: FeedClient, tokens: readonly string[]): void {
    if (client.socket.readyState !== client.socket.OPEN) return;
    for (const token of tokens) {
      const instrumentToken = this.instrumentTokenOf(token);
      const state = instrumentToken === undefined ? undefined : this.walk.state(instrumentToken);
      if (!state) continue;
      client.sequence += 1;
      const packet = encodePacket(state, token, client.modes.get(token) ?? 1, client.sequence);
      client.socket.send(packet, { binary: true });
    }
  }
}

/** One packet of `mode` for the instrument's state, laid out as Angel's feed sends it. */
export function encodePacket(
  state: MarketState,
  token: string,
  mode: number,
  sequence: number,
): Buffer {
  const out = Buffer.alloc(ANGEL_PACKET_BYTES[mode] ?? 51);
  const i64 = (at: number, value: number) => out.writeBigInt64LE(BigInt(Math.round(value)), at);
  out.writeUInt8(mode, ANGEL_OFFSET.mode);
  out.writeUInt8(ANGEL_NSE_CM, ANGEL_OFFSET.exchangeType);
  out.write(token, ANGEL_OFFSET.token, 'ascii');
  i64(ANGEL_OFFSET.sequence, sequence);
  i64(ANGEL_OFFSET.exchangeTimestamp, state.exchangeSec * 1000);
  i64(ANGEL_OFFSET.lastTradedPrice, state.ltpPaise);
  if (mode === ANGEL_MODE.ltp) return out;
  i64(ANGEL_OFFSET.lastTradedQuantity, state.lastQuantity);
  i64(ANGEL_OFFSET.averagePrice, state.averagePaise);
  i64(ANGEL_OFFSET.volume, state.volume);
  out.writeDoubleLE(state.totalBuyQuantity, ANGEL_OFFSET.totalBuyQuantity);
  out.writeDoubleLE(state.totalSellQuantity, ANGEL_OFFSET.totalSellQuantity);
  i64(ANGEL_OFFSET.open, state.openPaise);
  i64(ANGEL_OFFSET.high, state.highPaise);
  i64(ANGEL_OFFSET.low, state.lowPaise);
  i64(ANGEL_OFFSET.close, state.closePaise);
  if (mode === ANGEL_MODE.quote) return out;
  i64(ANGEL_OFFSET.lastTradedTimestamp, state.lastTradeSec);
  const levels = [
    ...state.depth.buy.slice(0, 5).map((l) => ({ ...l, flag: 1 })),
    ...state.depth.sell.slice(0, 5).map((l) => ({ ...l, flag: 0 })),
  ];
  levels.forEach((level, i) => {
    const at = ANGEL_OFFSET.bestFive + i * ANGEL_DEPTH_ENTRY_BYTES;
    out.writeInt16LE(level.flag, at);
    i64(at + 2, level.quantity);
    i64(at + 10, level.pricePaise);
    out.writeInt16LE(level.orders, at + 18);
  });
  i64(ANGEL_OFFSET.upperCircuit, state.upperCircuitPaise);
  i64(ANGEL_OFFSET.lowerCircuit, state.lowerCircuitPaise);
  i64(ANGEL_OFFSET.yearHigh, state.highPaise);
  i64(ANGEL_OFFSET.yearLow, state.lowPaise);
  return out;
}
