import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import * as z from 'zod';
import { FEED_TYPE, feedResponseType } from '../../../services/trading/src/market/upstox-proto';
import type { MarketState, PriceWalk } from '../shared/price-walk';
import type { UpstoxSessions } from './session';

/** Where the two streams live, as Upstox's URLs name them. */
export const PORTFOLIO_PATH = '/v2/feed/portfolio-stream-feed';
export const MARKET_PATH = '/v3/feed/market-data-feed';

const feedRequest = z.object({
  guid: z.string().optional(),
  method: z.enum(['sub', 'unsub', 'change_mode']),
  data: z.object({
    mode: z.enum(['ltpc', 'full', 'option_greeks', 'full_d30']).optional(),
    instrumentKeys: z.array(z.string().min(1)),
  }),
});

interface MarketClient {
  readonly socket: WebSocket;
  readonly modes: Map<string, string>;
}

/**
 * The portfolio stream (JSON order updates) and the market data feed V3 (protobuf
 * `FeedResponse` frames) on the simulator's port. An upgrade is accepted with the one-time `code`
 * of an authorize URI; an upgrade carrying `Authorization: Bearer` instead is redirected (302) to
 * such a URI, which is how the SDK's own feeders connect; anything else is answered 401.
 */
export class UpstoxStreams {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly portfolio = new Set<WebSocket>();
  private readonly market = new Set<MarketClient>();

  constructor(
    private readonly sessions: UpstoxSessions,
    private readonly walk: PriceWalk,
    private readonly tokenOfKey: (key: string) => number | undefined,
    private readonly now: () => number,
  ) {}

  /** The one-time URI the authorize endpoints hand out. */
  authorizedUri(base: string, path: string, token: string): string {
    const url = new URL(path, base.replace(/^http/, 'ws'));
    url.searchParams.set('code', this.sessions.streamCode(token));
    if (path === PORTFOLIO_PATH) url.searchParams.set('update_types', 'order');
    return url.toString();
  }

  attach(server: Server, base: () => string): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== PORTFOLIO_PATH && url.pathname !== MARKET_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const code = url.searchParams.get('code');
      if (code === null) {
        let token: string;
        try {
          token = this.sessions.authenticate(request.headers.authorization);
        } catch {
          socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        const location = this.authorizedUri(base(), url.pathname, token);
        socket.end(
          `HTTP/1.1 302 Found\r\nLocation: ${location}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
        );
        return;
      }
      if (!this.sessions.takeStreamCode(code)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) =>
        url.pathname === PORTFOLIO_PATH ? this.acceptPortfolio(ws) : this.acceptMarket(ws),
      );
    });
  }

  /** Open connections of each stream (tests wait on them). */
  get connectionCount(): { portfolio: number; market: number } {
    return { portfolio: this.portfolio.size, market: this.market.size };
  }

  /** Sends an order update (JSON text) to every portfolio-stream connection. */
  publishOrderUpdate(update: unknown): void {
    const text = JSON.stringify(update);
    for (const socket of this.portfolio) if (socket.readyState === socket.OPEN) socket.send(text);
  }

  /** Sends every market connection a live_feed frame for its subscriptions. */
  publishTicks(): void {
    for (const client of this.market)
      this.sendFeed(client, [...client.modes.keys()], FEED_TYPE.live_feed);
  }

  /** Sends raw bytes to every market connection (a frame protobuf cannot decode). */
  publishRaw(bytes: Buffer): void {
    for (const client of this.market) client.socket.send(bytes, { binary: true });
  }

  /** Drops every connection of both streams without a close handshake, as a network cut. */
  dropAll(): number {
    const count = this.portfolio.size + this.market.size;
    for (const socket of this.portfolio) socket.terminate();
    for (const client of this.market) client.socket.terminate();
    this.portfolio.clear();
    this.market.clear();
    return count;
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private acceptPortfolio(socket: WebSocket): void {
    this.portfolio.add(socket);
    const forget = () => this.portfolio.delete(socket);
    socket.on('close', forget);
    socket.on('error', forget);
  }

  private acceptMarket(socket: WebSocket): void {
    const client: MarketClient = { socket, modes: new Map() };
    this.market.add(client);
    const forget = () => this.market.delete(client);
    socket.on('close', forget);
    socket.on('error', forget);
    socket.on('message', (data: Buffer) => this.handle(client, data));
    const type = feedResponseType();
    const info = type.fromObject({
      type: FEED_TYPE.market_info,
      currentTs: this.now(),
      marketInfo: { segmentStatus: { NSE_EQ: 2, NSE_INDEX: 2 } },
    });
    socket.send(type.encode(info).finish(), { binary: true });
  }

  /** Requests come as binary frames of JSON (the SDK's `Buffer.from(JSON.stringify(...))`). */
  private handle(client: MarketClient, data: Buffer): void {
    let parsed: z.ZodSafeParseResult<z.output<typeof feedRequest>>;
    try {
      parsed = feedRequest.safeParse(JSON.parse(data.toString('utf8')));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const { method, data: body } = parsed.data;
    if (method === 'unsub') {
      for (const key of body.instrumentKeys) client.modes.delete(key);
      return;
    }
    const known = body.instrumentKeys.filter((k) => this.tokenOfKey(k) !== undefined);
    for (const key of known) client.modes.set(key, body.mode ?? 'ltpc');
    this.sendFeed(client, known, FEED_TYPE.initial_feed);
  }

  private sendFeed(client: MarketClient, keys: readonly string[], type: number): void {
    const feeds: Record<string, unknown> = {};
    for (const key of keys) {
      const token = this.tokenOfKey(key);
      const state = token === undefined ? undefined : this.walk.state(token);
      if (state) feeds[key] = feedJson(state, client.modes.get(key) ?? 'ltpc');
    }
    if (Object.keys(feeds).length === 0 || client.socket.readyState !== client.socket.OPEN) return;
    const message = feedResponseType();
    const frame = message
      .encode(message.fromObject({ type, feeds, currentTs: this.now() }))
      .finish();
    client.socket.send(frame, { binary: true });
  }
}

/** One instrument's `Feed` in the subscribed mode (ltpc, or full with 5-level depth). */
function feedJson(state: MarketState, mode: string) {
  const ltpc = {
    ltp: state.ltpPaise / 100,
    ltt: state.lastTradeSec * 1000,
    ltq: state.lastQuantity,
    cp: state.closePaise / 100,
  };
  if (mode === 'ltpc') return { ltpc, requestMode: 0 };
  const ohlc = {
    interval: '1d',
    open: state.openPaise / 100,
    high: state.highPaise / 100,
    low: state.lowPaise / 100,
    close: state.ltpPaise / 100,
    vol: state.volume,
    ts: state.exchangeSec * 1000,
  };
  if (state.instrument.segment === 'INDICES')
    return { fullFeed: { indexFF: { ltpc, marketOHLC: { ohlc: [ohlc] } } }, requestMode: 1 };
  const bidAskQuote = state.depth.buy.map((bid, i) => {
    const ask = state.depth.sell[i];
    return {
      bidQ: bid.quantity,
      bidP: bid.pricePaise / 100,
      askQ: ask?.quantity ?? 0,
      askP: (ask?.pricePaise ?? 0) / 100,
    };
  });
  return {
    fullFeed: {
      marketFF: {
        ltpc,
        marketLevel: { bidAskQuote },
        marketOHLC: { ohlc: [ohlc] },
        atp: state.averagePaise / 100,
        vtt: state.volume,
        tbq: state.totalBuyQuantity,
        tsq: state.totalSellQuantity,
      },
    },
    requestMode: 1,
  };
}
