import { KiteTicker, type KiteTickerParams, type Ticker } from 'kiteconnect';
import { ReconnectBackoff, type ReconnectOptions } from '../reconnect-backoff';

/** Where and as whom to open Kite's ticker WebSocket. */
export interface KiteTickerOptions extends ReconnectOptions {
  readonly apiKey: string;
  /** Read at every (re)connect: a renewed token is used without a restart. */
  readonly accessToken: () => string;
  /** @default wss://ws.kite.trade/ (tests: the simulator's ws://127.0.0.1:<port>/) */
  readonly root?: string;
  readonly onError?: (error: unknown) => void;
}

export type TickerMode = 'ltp' | 'quote' | 'full';

interface Sink {
  connect(): void;
  close(): void;
  message(data: ArrayBuffer): void;
  orderUpdate(data: unknown): void;
  error(error: unknown): void;
}

/**
 * The SDK keeps one socket and one listener list per process (module state in its ticker.js), so
 * listeners are registered once, here, and forwarded to the one open connection.
 */
let active: Sink | undefined;
let registered = false;

function register(ticker: Ticker): void {
  if (registered) return;
  registered = true;
  ticker.on('connect', () => active?.connect());
  // 'close' comes for every socket; the SDK's 'disconnect' misses closes of a socket opened
  // after the first (it takes them for ghosts), so 'close' is the one we follow.
  ticker.on('close', () => active?.close());
  ticker.on('message', (data: ArrayBuffer) => active?.message(data));
  ticker.on('order_update', (data: unknown) => active?.orderUpdate(data));
  ticker.on('error', (error: Error) => active?.error(error));
}

/**
 * Kite's ticker WebSocket shared by the adapter (order updates) and `KiteFeed` (ticks): one per
 * process, as the SDK allows. It reconnects itself with exponential backoff (the SDK's own
 * reconnect is off: it ends the process after its last try) and re-sends the subscriptions and
 * their modes after every reconnect.
 */
export class KiteTickerConnection {
  private ticker?: Ticker;
  private open = false;
  private closing = false;
  private readonly reconnects: ReconnectBackoff;
  private readonly modes = new Map<number, TickerMode>();
  private readonly binaryListeners: Array<(data: ArrayBuffer) => void> = [];
  private readonly orderListeners: Array<(data: unknown) => void> = [];
  private readonly connectListeners: Array<(reconnect: boolean) => void> = [];
  private connectedOnce = false;
  /** Connections opened (the first and every reconnect). */
  connects = 0;

  constructor(private readonly options: KiteTickerOptions) {
    this.reconnects = new ReconnectBackoff(options, () => this.dial());
  }

  /** Opens the socket; later drops reconnect on their own until `close`. */
  start(): void {
    if (active && active !== this.sink)
      throw new Error('a Kite ticker connection is already open in this process');
    active = this.sink;
    this.closing = false;
    this.dial();
  }

  connected(): boolean {
    return this.open;
  }

  onBinary(listener: (data: ArrayBuffer) => void): void {
    this.binaryListeners.push(listener);
  }

  /** Raw order-update payloads (`{type:"order"}` text messages' `data`), unvalidated. */
  onOrderUpdate(listener: (data: unknown) => void): void {
    this.orderListeners.push(listener);
  }

  /** Called on every open; `reconnect` is false for the first. */
  onConnect(listener: (reconnect: boolean) => void): void {
    this.connectListeners.push(listener);
  }

  /** Subscribes `tokens` in `mode`, now if open and again after every reconnect. */
  subscribe(tokens: readonly number[], mode: TickerMode): void {
    for (const t of tokens) this.modes.set(t, mode);
    if (this.open) this.sendSubscriptions(tokens);
  }

  close(): void {
    this.closing = true;
    this.reconnects.cancel();
    if (active === this.sink) active = undefined;
    this.open = false;
    this.ticker?.disconnect();
  }

  private readonly sink: Sink = {
    connect: () => {
      this.open = true;
      this.reconnects.opened();
      this.connects += 1;
      this.sendSubscriptions([...this.modes.keys()]);
      const reconnect = this.connectedOnce;
      this.connectedOnce = true;
      for (const l of this.connectListeners) l(reconnect);
    },
    close: () => {
      // A late close of a socket already replaced by an open one is not a drop.
      if (this.ticker?.connected()) return;
      this.open = false;
      this.scheduleReconnect();
    },
    message: (data) => {
      for (const l of this.binaryListeners) l(data);
    },
    orderUpdate: (data) => {
      for (const l of this.orderListeners) l(data);
    },
    error: (error) => this.options.onError?.(error),
  };

  private dial(): void {
    if (this.closing) return;
    // `root` is honoured by the SDK's ticker.js but missing from its types.
    const params: KiteTickerParams & { root?: string } = {
      api_key: this.options.apiKey,
      access_token: this.options.accessToken(),
      root: this.options.root,
      reconnect: false,
    };
    const ticker: Ticker = new KiteTicker(params);
    register(ticker);
    this.ticker = ticker;
    ticker.connect();
  }

  private scheduleReconnect(): void {
    if (!this.closing) this.reconnects.schedule();
  }

  private sendSubscriptions(tokens: readonly number[]): void {
    if (!this.ticker || tokens.length === 0) return;
    const byMode = new Map<TickerMode, number[]>();
    for (const t of tokens) {
      const mode = this.modes.get(t) ?? 'full';
      byMode.set(mode, [...(byMode.get(mode) ?? []), t]);
    }
    this.ticker.subscribe([...tokens]);
    for (const [mode, list] of byMode) this.ticker.setMode(mode, list);
  }
}
