import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultState } from './faults';

export interface GatewayOptions {
  readonly faults: FaultState;
  /** A 429 or 500 armed by a test, answered in the broker's own envelope. */
  answerFault(reply: FastifyReply, status: 429 | 500): FastifyReply;
  /** The broker's own checks on an API request: headers, credentials, its order-rate limits. */
  check(request: FastifyRequest, reply: FastifyReply, path: string): unknown;
  /** Sees every request first, the control API's included (the bench's door timestamp). */
  onArrival?(request: FastifyRequest, path: string): void;
}

/**
 * What a simulator's REST API meets first, as each broker's edge works: the control API under
 * `/__sim` passes untouched; an armed fault is answered (429/500 by the broker's API, 502-504 by
 * the gateway in front, as an HTML page) or its latency waited out; then the broker's own checks.
 */
export function registerGateway(app: FastifyInstance, options: GatewayOptions): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    options.onArrival?.(request, path);
    if (path.startsWith('/__sim')) return undefined;
    const failure = await options.faults.admit();
    if (failure === 429 || failure === 500) return options.answerFault(reply, failure);
    if (failure !== undefined)
      return reply
        .code(failure)
        .type('text/html')
        .send(`<html><body><h1>${failure}</h1>gateway error</body></html>`);
    return options.check(request, reply, path);
  });
}
