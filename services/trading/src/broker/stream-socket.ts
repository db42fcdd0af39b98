import WebSocket from 'ws';
import { ReconnectBackoff, type ReconnectOptions } from './reconnect-backoff';

export interface StreamSocketOptions extends ReconnectOptions {
  /**
   * Where to connect, asked before every dial: Upstox hands out a one-time URI per connection
   * (its authorize call), Angel One a fixed URL with the session's headers.
   */
  readonly endpoint: () => Promise<{ url: string; headers?: Record<string, string> }>;
  readonly onError?: (error: unknown) => void;
  /**
   * A text frame sent this often while open (Angel One's sockets expect "ping" every 10 s and
   * answer "pong"); with it, a socket that has received nothing for three intervals is cut and
   * redialled, as a half-open connection never closes by itself.
   */
  readonly heartbeat?: { readonly payload: string; readonly intervalMs: number };
}

/**
 * A broker's streaming WebSocket that reconnects itself with exponential backoff until `close`,
 * and tells its listeners about every (re)connect so that they re-subscribe and catch up (the
 * order adapter reads the order book after a reconnect: updates sent while it was down are lost).
 */
export class StreamSocket {
  private socket?: WebSocket;
  private open = false;
  private closing = true;
  private readonly reconnects: ReconnectBackoff;
  private connectedOnce = false;
  private heartbeatTimer?: NodeJS.Timeout;
  private lastReceived = 0;
  private readonly messageListeners: Array<(data: Buffer, binary: boolean) => void> = [];
  private readonly connectListeners: Array<(reconnect: boolean) => void> = [];
  /** Connections opened (the first and every reconnect). */
  connects = 0;

  constructor(private readonly options: StreamSocketOptions) {
    this.reconnects = new ReconnectBackoff(options, () => void this.dial());
  }

  start(): void {
    this.closing = false;
    void this.dial();
  }

  connected(): boolean {
    return this.open;
  }

  onMessage(listener: (data: Buffer, binary: boolean) => void): void {
    this.messageListeners.push(listener);
  }

  /** Called on every open; `reconnect` is false for the first. */
  onConnect(listener: (reconnect: boolean) => void): void {
    this.connectListeners.push(listener);
  }

  /** Sends on the open socket; false when there is none (the next connect re-sends state). */
  send(data: Buffer | string): boolean {
    if (!this.open || !this.socket) return false;
    this.socket.send(data);
    return true;
  }

  close(): void {
    this.closing = true;
    this.reconnects.cancel();
    clearInterval(this.heartbeatTimer);
    this.open = false;
    this.socket?.terminate();
    this.socket = undefined;
  }

  private async dial(): Promise<void> {
    if (this.closing) return;
    let target: { url: string; headers?: Record<string, string> };
    try {
      target = await this.options.endpoint();
    } catch (error) {
      this.options.onError?.(error);
      this.scheduleReconnect();
      return;
    }
    if (this.closing) return;
    const socket = new WebSocket(target.url, { headers: target.headers, followRedirects: true });
    this.socket = socket;
    socket.on('open', () => {
      if (socket !== this.socket) return;
      this.open = true;
      this.reconnects.opened();
      this.lastReceived = Date.now();
      this.beat(socket);
      this.connects += 1;
      const reconnect = this.connectedOnce;
      this.connectedOnce = true;
      for (const l of this.connectListeners) l(reconnect);
    });
    socket.on('message', (data: Buffer, binary: boolean) => {
      if (socket !== this.socket) return;
      this.lastReceived = Date.now();
      for (const l of this.messageListeners) l(data, binary);
    });
    socket.on('error', (error) => this.options.onError?.(error));
    socket.on('close', () => {
      if (socket !== this.socket) return;
      this.open = false;
      clearInterval(this.heartbeatTimer);
      this.scheduleReconnect();
    });
  }

  private beat(socket: WebSocket): void {
    const heartbeat = this.options.heartbeat;
    clearInterval(this.heartbeatTimer);
    if (!heartbeat) return;
    this.heartbeatTimer = setInterval(() => {
      if (socket !== this.socket || !this.open) return;
      if (Date.now() - this.lastReceived > 3 * heartbeat.intervalMs) socket.terminate();
      else socket.send(heartbeat.payload);
    }, heartbeat.intervalMs);
    this.heartbeatTimer.unref();
  }

  private scheduleReconnect(): void {
    if (!this.closing) this.reconnects.schedule();
  }
}
