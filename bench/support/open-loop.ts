import http from 'node:http';

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
}

/**
 * A fixed-rate (open-loop) load generator with microsecond timing. Each request's latency counts
 * from when it was due, not when it went out, so a stalled server cannot hide its stall
 * (coordinated omission). Keep-alive connections, at most `connections` in flight.
 */
export async function openLoop(options: {
  readonly url: string;
  readonly rate: number;
  readonly seconds: number;
  readonly connections: number;
  readonly request: (i: number) => OpenLoopRequest;
}): Promise<OpenLoopResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const latenciesMs: number[] = [];
  const statusCounts: Record<string, number> = {};
  const start = performance.now();
  let next = 0;
  let done = 0;

  await new Promise<void>((resolve) => {
    const send = (i: number, due: number) => {
      const r = options.request(i);
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: r.method,
          path: r.path,
          headers: r.headers,
          agent,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latenciesMs.push(performance.now() - due);
            statusCounts[String(res.statusCode)] = (statusCounts[String(res.statusCode)] ?? 0) + 1;
            done += 1;
            if (done === total) resolve();
          });
        },
      );
      req.on('error', () => {
        statusCounts.error = (statusCounts.error ?? 0) + 1;
        done += 1;
        if (done === total) resolve();
      });
      req.end(r.body);
    };
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        send(next, start + next * interval);
        next += 1;
      }
      if (next < total)
        setTimeout(tick, Math.max(0, Math.min(1, start + next * interval - performance.now())));
    };
    tick();
  });
  agent.destroy();
  return { latenciesMs, statusCounts, sent: total, seconds: (performance.now() - start) / 1000 };
}
