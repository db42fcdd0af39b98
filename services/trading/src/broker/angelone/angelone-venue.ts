import {
  createSmartApi,
  type DeskNetwork,
  type SmartApiClient,
} from '../../../../common/angelone/smartapi';
import { istDate } from '../../../../common/time';
import type { OrderChanges } from '../broker';
import type { TaggedVenue, VenueFill, VenueOrder, VenuePlacement } from '../tagged-venue';
import {
  type AngelOrder,
  AngelOrderSchema,
  AngelOrderUpdateSchema,
  AngelPlaceSchema,
  AngelPositionSchema,
  type AngelScrip,
  AngelScripSchema,
  AngelTradeSchema,
  angelData,
  angelList,
  orderFromAngel,
  ourSymbol,
  parseAngel,
} from './angelone-wire';

/** Angel's `ordertype` of each of ours (stop orders go with `variety` STOPLOSS). */
const ANGEL_ORDER_TYPE = {
  MARKET: 'MARKET',
  LIMIT: 'LIMIT',
  SL: 'STOPLOSS_LIMIT',
  'SL-M': 'STOPLOSS_MARKET',
} as const;

export interface AngelOneVenueOptions {
  /** The SmartAPI app's key (`X-PrivateKey`). */
  readonly apiKey: string;
  /** The session's JWT, read before every call: a renewed one is used at once. */
  readonly accessToken: () => string;
  /** The SDK's `root`, which it honours. @default https://apiconnect.angelone.in */
  readonly root?: string;
  /** The SDK's per-request timeout; below the breaker's 5 s so the SDK answers first. @default 4000 */
  readonly timeoutMs?: number;
  /** The desk's registered static IP and identity, sent in Angel's headers. */
  readonly network: DeskNetwork;
  readonly now?: () => number;
}

/**
 * Angel One SmartAPI on the official `smartapi-javascript` (made safe by `createSmartApi`): every
 * answer parsed with zod, every refusal a VenueError with Angel's `errorcode` and message, an
 * answer that is not Angel's envelope (a timeout, a refused connection) a transient error that
 * leaves a placement to be looked up. NSE equities are found by `searchScrip` (`INFY-EQ` and its
 * `symboltoken`) and cached per IST day.
 */
export class AngelOneVenue implements TaggedVenue {
  readonly label = 'Angel One';
  private readonly client: SmartApiClient;
  private scripDay?: string;
  private readonly bySymbol = new Map<string, AngelScrip | null>();

  constructor(private readonly options: AngelOneVenueOptions) {
    this.client = createSmartApi({
      apiKey: options.apiKey,
      root: options.root,
      timeoutMs: options.timeoutMs ?? 4000,
      network: options.network,
    });
  }

  async place({ order, product, tag }: VenuePlacement): Promise<string> {
    const scrip = await this.instrument(order.symbol);
    if (!scrip) throw new Error(`${order.symbol} is not an Angel One NSE equity`);
    const stop = order.type === 'SL' || order.type === 'SL-M';
    const raw = await this.call((c) =>
      c.placeOrder({
        variety: stop ? 'STOPLOSS' : 'NORMAL',
        tradingsymbol: scrip.tradingsymbol,
        symboltoken: scrip.symboltoken,
        transactiontype: order.side,
        exchange: 'NSE',
        ordertype: ANGEL_ORDER_TYPE[order.type],
        producttype: product,
        duration: 'DAY',
        price: String(order.limitPrice ?? 0),
        ...(stop ? { triggerprice: String(order.triggerPrice ?? 0) } : {}),
        squareoff: '0',
        stoploss: '0',
        quantity: String(order.quantity),
        ordertag: tag,
      }),
    );
    return angelData(AngelPlaceSchema, raw, 'order placement').orderid;
  }

  /** Angel's modify restates the order: the rest is taken from the order book. */
  async modify(orderId: string, changes: OrderChanges): Promise<void> {
    const current = await this.bookOrder(orderId);
    const stop = current.variety === 'STOPLOSS';
    const raw = await this.call((c) =>
      c.modifyOrder({
        orderid: orderId,
        variety: current.variety,
        tradingsymbol: current.tradingsymbol,
        symboltoken: current.symboltoken,
        exchange: current.exchange,
        ordertype: current.ordertype,
        producttype: current.producttype,
        duration: current.duration,
        price: String(changes.limitPrice ?? current.price),
        ...(stop ? { triggerprice: String(changes.triggerPrice ?? current.triggerprice) } : {}),
        quantity: String(changes.quantity ?? current.quantity),
      }),
    );
    angelData(AngelPlaceSchema, raw, 'order modification');
  }

  /** Angel cancels by variety and id: a stop-loss order's variety is STOPLOSS. */
  async cancel(orderId: string): Promise<void> {
    const { variety } = await this.bookOrder(orderId);
    const raw = await this.call((c) => c.cancelOrder({ variety, orderid: orderId }));
    angelData(AngelPlaceSchema, raw, 'order cancellation');
  }

  async orderBook(): Promise<VenueOrder[]> {
    return (await this.rawOrderBook()).map(orderFromAngel);
  }

  async fills(orderId: string): Promise<VenueFill[]> {
    const raw = await this.call((c) => c.getTradeBook());
    const trades = angelData(angelList(AngelTradeSchema), raw, 'trade book');
    const now = (this.options.now ?? Date.now)();
    return trades
      .filter((t) => t.orderid === orderId)
      .map((t) => {
        const at = t.filltime ? Date.parse(`${istDate(now)}T${t.filltime}+05:30`) : Number.NaN;
        return {
          fillId: t.fillid,
          quantity: t.fillsize,
          price: t.fillprice,
          filledAt: Number.isNaN(at) ? now : at,
        };
      });
  }

  async netPositions(): Promise<Array<{ symbol: string; quantity: number }>> {
    const raw = await this.call((c) => c.getPosition());
    return angelData(angelList(AngelPositionSchema), raw, 'positions')
      .filter((p) => p.exchange === 'NSE')
      .map((p) => ({ symbol: ourSymbol(p.tradingsymbol), quantity: p.netqty }));
  }

  async knowsSymbol(symbol: string): Promise<boolean> {
    return (await this.instrument(symbol)) !== undefined;
  }

  parseUpdate(raw: unknown): VenueOrder {
    const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
    const value = typeof text === 'string' ? JSON.parse(text) : text;
    return orderFromAngel(parseAngel(AngelOrderUpdateSchema, value, 'order update').orderData);
  }

  /** The `-EQ` scrip of an NSE equity and its symbol token, looked up once per IST day. */
  async instrument(symbol: string): Promise<AngelScrip | undefined> {
    const today = istDate((this.options.now ?? Date.now)());
    if (this.scripDay !== today) {
      this.bySymbol.clear();
      this.scripDay = today;
    }
    const known = this.bySymbol.get(symbol);
    if (known !== undefined) return known ?? undefined;
    const raw = await this.call((c) => c.searchScrip({ exchange: 'NSE', searchscrip: symbol }));
    // On a match the SDK resolves with the rows themselves; otherwise with Angel's envelope.
    const rows = Array.isArray(raw)
      ? parseAngel(AngelScripSchema.array(), raw, 'scrip search')
      : angelData(angelList(AngelScripSchema), raw, 'scrip search');
    const found = rows.find((r) => r.exchange === 'NSE' && r.tradingsymbol === `${symbol}-EQ`);
    this.bySymbol.set(symbol, found ?? null);
    return found;
  }

  private async bookOrder(orderId: string): Promise<AngelOrder> {
    const found = (await this.rawOrderBook()).find((o) => o.orderid === orderId);
    if (!found) throw new Error(`order ${orderId} is not in Angel One's order book`);
    return found;
  }

  private async rawOrderBook(): Promise<AngelOrder[]> {
    const raw = await this.call((c) => c.getOrderBook());
    return angelData(angelList(AngelOrderSchema), raw, 'order book');
  }

  /** One SDK call with the current JWT (the SDK resolves every call, errors included). */
  private call(send: (client: SmartApiClient) => Promise<unknown>): Promise<unknown> {
    this.client.setAccessToken(this.options.accessToken());
    return send(this.client);
  }
}
