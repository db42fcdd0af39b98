import {
  ApiClient,
  InstrumentsApi,
  OrderApi,
  PortfolioApi,
  type UpstoxCallback,
  WebsocketApi,
} from 'upstox-js-sdk';
import { istDate } from '../../../../common/time';
import type { OrderChanges } from '../broker';
import type { TaggedVenue, VenueFill, VenueOrder, VenuePlacement } from '../tagged-venue';
import {
  orderFromBook,
  orderFromUpdate,
  parseUpstox,
  UpstoxAuthorizeSchema,
  type UpstoxInstrument,
  UpstoxInstrumentSchema,
  type UpstoxOrder,
  UpstoxOrderSchema,
  UpstoxOrderUpdateSchema,
  UpstoxPlaceSchema,
  UpstoxPositionSchema,
  UpstoxTradeSchema,
  upstoxEnvelope,
  upstoxError,
  upstoxTime,
} from './upstox-wire';

export interface UpstoxVenueOptions {
  /** Read before every call: a token renewed in the secret store is used at once. */
  readonly accessToken: () => string;
  /**
   * The SDK's `basePath` and `orderBasePath` are plain fields of its `ApiClient`, so pointing it
   * at the simulator needs no wrapper. @default https://api.upstox.com
   */
  readonly apiRoot?: string;
  /** Placement, modify and cancel go to Upstox's HFT host. @default https://api-hft.upstox.com */
  readonly orderRoot?: string;
  /** The SDK's per-request timeout; below the breaker's 5 s so the SDK answers first. @default 4000 */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

const API_VERSION = '2.0';

/**
 * Upstox API v2 on the official `upstox-js-sdk`: one `ApiClient` of its own (the SDK also keeps a
 * process-wide `ApiClient.instance`, which this never uses), callbacks turned into promises, every
 * answer parsed with zod, every error a VenueError with Upstox's `errorCode` and message.
 * Instruments are looked up by symbol (`/v2/instruments/search`) and cached per IST day.
 */
export class UpstoxVenue implements TaggedVenue {
  readonly label = 'Upstox';
  private readonly client = new ApiClient();
  private readonly orders: OrderApi;
  private readonly portfolio: PortfolioApi;
  private readonly instruments: InstrumentsApi;
  private readonly websocket: WebsocketApi;
  private instrumentDay?: string;
  private readonly bySymbol = new Map<string, UpstoxInstrument | null>();

  constructor(private readonly options: UpstoxVenueOptions) {
    if (options.apiRoot) this.client.basePath = options.apiRoot.replace(/\/+$/, '');
    this.client.orderBasePath = (
      options.orderRoot ??
      options.apiRoot ??
      'https://api-hft.upstox.com'
    ).replace(/\/+$/, '');
    this.client.timeout = options.timeoutMs ?? 4000;
    this.orders = new OrderApi(this.client);
    this.portfolio = new PortfolioApi(this.client);
    this.instruments = new InstrumentsApi(this.client);
    this.websocket = new WebsocketApi(this.client);
  }

  async place({ order, product, tag }: VenuePlacement): Promise<string> {
    const instrument = await this.instrument(order.symbol);
    if (!instrument) throw new Error(`${order.symbol} is not an Upstox NSE equity`);
    const raw = await this.sdk<unknown>((cb) =>
      this.orders.placeOrder(
        {
          quantity: order.quantity,
          product: product === 'INTRADAY' ? 'I' : 'D',
          validity: 'DAY',
          // Upstox requires both prices on every order: 0 where the type takes none.
          price: order.limitPrice ?? 0,
          tag,
          instrumentToken: instrument.instrumentKey,
          orderType: order.type,
          transactionType: order.side,
          disclosedQuantity: 0,
          triggerPrice: order.triggerPrice ?? 0,
          isAmo: false,
        },
        API_VERSION,
        cb,
      ),
    );
    return parseUpstox(UpstoxPlaceSchema, raw, 'order placement').data.orderId;
  }

  /** Upstox's modify restates type, validity and both prices: the rest comes from the book. */
  async modify(orderId: string, changes: OrderChanges): Promise<void> {
    const current = (await this.rawOrderBook()).find((o) => o.orderId === orderId);
    if (!current) throw new Error(`order ${orderId} is not in Upstox's order book`);
    await this.sdk((cb) =>
      this.orders.modifyOrder(
        {
          orderId,
          validity: current.validity,
          orderType: current.orderType,
          price: changes.limitPrice ?? current.price,
          triggerPrice: changes.triggerPrice ?? current.triggerPrice,
          ...(changes.quantity === undefined ? {} : { quantity: changes.quantity }),
        },
        API_VERSION,
        cb,
      ),
    );
  }

  async cancel(orderId: string): Promise<void> {
    await this.sdk((cb) => this.orders.cancelOrder(orderId, API_VERSION, cb));
  }

  async orderBook(): Promise<VenueOrder[]> {
    return (await this.rawOrderBook()).map(orderFromBook);
  }

  private async rawOrderBook(): Promise<UpstoxOrder[]> {
    const raw = await this.sdk((cb) => this.orders.getOrderBook(API_VERSION, cb));
    return parseUpstox(upstoxEnvelope(UpstoxOrderSchema.array()), raw, 'order book').data;
  }

  async fills(orderId: string): Promise<VenueFill[]> {
    const raw = await this.sdk((cb) => this.orders.getTradesByOrder(orderId, API_VERSION, cb));
    const trades = parseUpstox(upstoxEnvelope(UpstoxTradeSchema.array()), raw, 'trades');
    const now = (this.options.now ?? Date.now)();
    return trades.data.map((t) => ({
      fillId: t.tradeId,
      quantity: t.quantity,
      price: t.averagePrice,
      filledAt: upstoxTime(t.exchangeTimestamp, now),
    }));
  }

  async netPositions(): Promise<Array<{ symbol: string; quantity: number }>> {
    const raw = await this.sdk((cb) => this.portfolio.getPositions(API_VERSION, cb));
    const rows = parseUpstox(upstoxEnvelope(UpstoxPositionSchema.array()), raw, 'positions');
    return rows.data
      .filter((p) => p.exchange === 'NSE')
      .map((p) => ({ symbol: p.tradingSymbol, quantity: p.quantity }));
  }

  async knowsSymbol(symbol: string): Promise<boolean> {
    return (await this.instrument(symbol)) !== undefined;
  }

  parseUpdate(raw: unknown): VenueOrder {
    const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
    const value = typeof text === 'string' ? JSON.parse(text) : text;
    return orderFromUpdate(parseUpstox(UpstoxOrderUpdateSchema, value, 'order update'));
  }

  /** The instrument key (`NSE_EQ|<ISIN>`) of an NSE equity, looked up once per IST day. */
  async instrument(symbol: string): Promise<UpstoxInstrument | undefined> {
    const today = istDate((this.options.now ?? Date.now)());
    if (this.instrumentDay !== today) {
      this.bySymbol.clear();
      this.instrumentDay = today;
    }
    const known = this.bySymbol.get(symbol);
    if (known !== undefined) return known ?? undefined;
    const raw = await this.sdk((cb) =>
      this.instruments.searchInstrument(symbol, { exchanges: 'NSE', segments: 'EQ' }, cb),
    );
    const found = parseUpstox(
      upstoxEnvelope(UpstoxInstrumentSchema.array()),
      raw,
      'instrument search',
    ).data.find((i) => i.tradingSymbol === symbol && i.segment === 'NSE_EQ');
    this.bySymbol.set(symbol, found ?? null);
    return found;
  }

  /** The portfolio stream's one-time WebSocket URI (Upstox's authorize redirect). */
  async portfolioStreamUri(): Promise<string> {
    const raw = await this.sdk((cb) =>
      this.websocket.getPortfolioStreamFeedAuthorize(API_VERSION, cb),
    );
    return parseUpstox(UpstoxAuthorizeSchema, raw, 'portfolio stream authorize').data
      .authorizedRedirectUri;
  }

  /** The market data feed V3's one-time WebSocket URI. */
  async marketFeedUri(): Promise<string> {
    const raw = await this.sdk((cb) => this.websocket.getMarketDataFeedAuthorizeV3(cb));
    return parseUpstox(UpstoxAuthorizeSchema, raw, 'market feed authorize').data
      .authorizedRedirectUri;
  }

  /** One SDK call with the current token, as a promise; errors in Upstox's words. */
  private sdk<T = unknown>(start: (cb: UpstoxCallback<T>) => void): Promise<T> {
    this.client.authentications.OAUTH2.accessToken = this.options.accessToken();
    return new Promise<T>((resolve, reject) => {
      try {
        start((error, data) => (error ? reject(upstoxError(error)) : resolve(data)));
      } catch (error) {
        reject(error);
      }
    });
  }
}
