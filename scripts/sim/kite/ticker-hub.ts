import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import * as z from 'zod';
import type { PriceWalk } from '../shared/price-walk';
import type { SessionStore } from './session';
import { encodePacket, frame, HEARTBEAT, type TickerMode } from './ticker-packets';

const tokens = z.array(z.number().int().nonnegative());
const tickerRequest = z.discriminatedUnion('a', [
  z.object({ a: z.literal('subscribe'), v: tokens }),
  z.object({ a: z.literal('unsubscribe'), v: tokens }),
  z.object({ a: z.literal('mode'), v: z.tuple([z.enum(['ltp', 'quote', 'full']), tokens]) }),
]);

interface Client {
  readonly socket: WebSocket;
  readonly modes: Map<number, TickerMode>;
}

/**
 * The ticker WebSocket at `/` on the simulator's port: authenticates the upgrade from its
 * `api_key` and `access_token` query parameters (403 otherwise, as Kite answers), keeps each
 * connection's subscriptions and modes (subscribing starts in `quote`, Kite's default), sends
 * binary ticks after every price step, one-byte heartbeats every second (ticker.js drops a
 * connection after 5 s of silence) and order updates as JSON text.
 */
export class TickerHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly clients = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly sessions: SessionStore,
    private readonly walk: PriceWalk,
    heartbeatMs: number,
  ) {
    this.heartbeat = setInterval(() => this.sendAll(HEARTBEAT, true), heartbeatMs);
    this.heartbeat.unref();
  }

  /** Takes over WebSocket upgrades of an HTTP server. */
  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const authorised =
        url.pathname === '/' &&
        url.searchParams.get('api_key') === this.sessions.user.apiKey &&
        this.isLive(url.searchParams.get('access_token') ?? '');
      if (!authorised) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
    });
  }

  /** How many ticker connections are open (tests wait on it). */
  get connectionCount(): number {
    return this.clients.size;
  }

  /** Sends every connection the ticks of its subscriptions after a price step. */
  publishTicks(): void {
    for (const client of this.clients) {
      const packets: Buffer[] = [];
      for (const [token, mode] of client.modes) {
        const state = this.walk.state(token);
        if (state) packets.push(encodePacket(state, mode));
      }
      if (packets.length > 0) send(client.socket, frame(packets), true);
    }
  }

  /** Sends a JSON text message (`{"type":"order","data":...}`) to every connection. */
  publishText(message: unknown): void {
    this.sendAll(JSON.stringify(message), false);
  }

  /** Sends raw bytes to every connection (fault injection: a torn or garbage packet). */
  publishRaw(bytes: Buffer): void {
    this.sendAll(bytes, true);
  }

  /** Drops every connection without a close handshake, as a network cut looks. */
  dropAll(): number {
    const count = this.clients.size;
    for (const client of this.clients) client.socket.terminate();
    this.clients.clear();
    return count;
  }

  /** Stops the heartbeats and closes every connection. */
  close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.dropAll();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private isLive(accessToken: string): boolean {
    try {
      this.sessions.validate(accessToken);
      return true;
    } catch {
      return false;
    }
  }

  private accept(socket: WebSocket): void {
    const client: Client = { socket, modes: new Map() };
    this.clients.add(client);
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => this.clients.delete(client));
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.handle(client, data.toString());
    });
  }

  private handle(client: Client, text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      send(client.socket, JSON.stringify({ type: 'error', data: `invalid JSON: ${text}` }), false);
      return;
    }
    const parsed = tickerRequest.safeParse(json);
    if (!parsed.success) {
      send(
        client.socket,
        JSON.stringify({ type: 'error', data: `invalid message: ${text}` }),
        false,
      );
      return;
    }
    const request = parsed.data;
    if (request.a === 'subscribe') {
      for (const token of request.v) {
        if (!client.modes.has(token)) client.modes.set(token, 'quote');
      }
    } else if (request.a === 'unsubscribe') {
      for (const token of request.v) client.modes.delete(token);
    } else {
      const [mode, list] = request.v;
      for (const token of list) client.modes.set(token, mode);
    }
  }

  private sendAll(data: Buffer | string, binary: boolean): void {
    for (const client of this.clients) send(client.socket, data, binary);
  }
}

function send(socket: WebSocket, data: Buffer | string, binary: boolean): void {
  if (socket.readyState === socket.OPEN) socket.send(data, { binary });
}
