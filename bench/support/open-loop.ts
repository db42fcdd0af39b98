import net from 'node:net';

export interface OpenLoopRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface OpenLoopResult {
  /** Milliseconds from each request's intended start to its response's end. */
  readonly latenciesMs: number[];
  readonly statusCounts: Record<string, number>;
  readonly sent: number;
  readonly seconds: number;
  /** CPU the load generator itself spent per request, microseconds (on the same cores). */
  readonly cpuPerRequestUs: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive connection with at most one request in flight (no pipelining). One the server
 * closes while idle (its keep-alive timeout) is opened again; one lost with a request in flight
 * fails the run.
 */
class Connection {
  private socket!: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private pending?: { done: (status: number) => void };
  private closed = false;

  constructor(
    private readonly address: { host: string; port: number },
    private readonly onBroken: (error: Error) => void,
  ) {
    this.open();
  }

  /** Resolves once connected. */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
  }

  idle(): boolean {
    return this.pending === undefined;
  }

  send(bytes: Buffer, done: (status: number) => void): void {
    this.pending = { done };
    this.socket.write(bytes);
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private open(): void {
    this.buffer = Buffer.alloc(0);
    this.socket = net.connect(this.address);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => {
      if (this.closed) return;
      if (this.pending) this.fail(new Error('the server closed a connection mid-request'));
      else this.open();
    });
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const headEnd = this.buffer.indexOf(HEAD_END);
    if (headEnd < 0 || !this.pending) return;
    const head = this.buffer.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    if (length === undefined) {
      this.fail(new Error(`a response without content-length: ${head.split('\r\n')[0]}`));
      return;
    }
    const end = headEnd + HEAD_END.length + Number(length);
    if (this.buffer.length < end) return;
    this.buffer = this.buffer.subarray(end);
    const { done } = this.pending;
    this.pending = undefined;
    done(Number(head.slice(9, 12)));
  }

  private fail(error: Error): void {
    if (this.pending) this.onBroken(error);
  }
}

/**
 * A fixed-rate (open-loop) load generator with microsecond timing. Each request's latency counts
 * from when it was due, not when it went out, so a stalled server cannot hide its stall
 * (coordinated omission). At most `connections` requests in flight, each on a keep-alive
 * connection of its own; the rest wait their turn, their wait counted. HTTP/1.1 over bare
 * sockets rather than node:http: the generator shares the machine's cores with what it measures,
 * and node:http's client costs several times as much CPU (and garbage) per request.
 */
export async function openLoop(options: {
  readonly url: string;
  readonly rate: number;
  readonly seconds: number;
  readonly connections: number;
  readonly request: (i: number) => OpenLoopRequest;
}): Promise<OpenLoopResult> {
  const target = new URL(options.url);
  const host = target.hostname;
  const port = Number(target.port);
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const latenciesMs: number[] = [];
  const statusCounts: Record<string, number> = {};
  const waiting: number[] = [];
  const connections: Connection[] = [];
  const cpu = process.cpuUsage();

  const bytesOf = (i: number): Buffer => {
    const r = options.request(i);
    const body = r.body ?? '';
    const headers = Object.entries({
      host: `${host}:${port}`,
      ...r.headers,
      'content-length': String(Buffer.byteLength(body)),
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    return Buffer.from(`${r.method} ${r.path} HTTP/1.1\r\n${headers}\r\n${body}`);
  };

  let rejectRun: ((error: Error) => void) | undefined;
  for (let k = 0; k < options.connections; k += 1)
    connections.push(new Connection({ host, port }, (error) => rejectRun?.(error)));
  await Promise.all(connections.map((c) => c.ready()));

  const start = performance.now();
  let next = 0;
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    rejectRun = reject;
    const dueOf = (i: number) => start + i * interval;
    const send = (c: Connection, i: number) => {
      c.send(bytesOf(i), (status) => {
        latenciesMs.push(performance.now() - dueOf(i));
        statusCounts[String(status)] = (statusCounts[String(status)] ?? 0) + 1;
        done += 1;
        if (done === total) return resolve();
        const queued = waiting.shift();
        if (queued !== undefined) send(c, queued);
      });
    };
    const tick = () => {
      const now = performance.now();
      while (next < total && dueOf(next) <= now) {
        const free = connections.find((c) => c.idle());
        if (free) send(free, next);
        else waiting.push(next);
        next += 1;
      }
      if (next < total) setTimeout(tick, Math.max(0, Math.min(1, dueOf(next) - performance.now())));
    };
    tick();
  });
  const spent = process.cpuUsage(cpu);
  for (const c of connections) c.destroy();
  return {
    latenciesMs,
    statusCounts,
    sent: total,
    seconds: (performance.now() - start) / 1000,
    cpuPerRequestUs: Math.round((spent.user + spent.system) / Math.max(1, total)),
  };
}
