import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError } from 'fastify';
import type { Logger } from 'pino';
import { bearerTokenMatches } from '../../../common/bearer-token';
import { httpErrorCode, useStrictJsonBodies } from '../../../common/http-json';
import type { TradingApi } from '../api';
import { isDatabaseUnavailable } from '../health/database-health';
import { type AjvError, BadRequest, describeSchemaErrors } from './route-support';
import { registerControlRoutes } from './routes-controls';
import { registerOrderRoutes } from './routes-orders';
import { registerReadRoutes } from './routes-reads';

export interface ServerOptions {
  /** Bearer token required on every POST. */
  readonly controlToken: string;
  readonly log: Logger;
}

/**
 * The control API the runbooks call. Reads are open (the network keeps them inside the VPC);
 * every POST needs the bearer token. Bad input is a 400 that names the field, and nothing is
 * written; a risk refusal is a 422 that names the rule.
 */
export function buildServer(service: TradingApi, options: ServerOptions) {
  const app = Fastify({
    loggerInstance: options.log,
    genReqId: () => randomUUID(),
    bodyLimit: 64 * 1024,
    ajv: {
      customOptions: {
        removeAdditional: false,
        allErrors: true,
        verbose: true,
        coerceTypes: false,
      },
    },
    schemaErrorFormatter: (errors, dataVar) =>
      new BadRequest(describeSchemaErrors(errors as AjvError[], dataVar)),
  });
  // JSON only: any other body is a 415, not a string for the schema to puzzle over.
  app.removeContentTypeParser('text/plain');
  useStrictJsonBodies(app);
  const expected = Buffer.from(options.controlToken);

  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'POST' && !bearerTokenMatches(expected, request.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer');
      return reply.code(401).send({
        error: 'UNAUTHORIZED',
        message: 'a valid bearer token is required for control endpoints',
      });
    }
    return undefined;
  });
  app.addHook('onResponse', async (_request, reply) => {
    service.metrics.inc('algo_http_requests_total');
    if (reply.statusCode >= 500) service.metrics.inc('algo_http_errors_total');
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isDatabaseUnavailable(error)) {
      service.reportDatabaseError(error);
      return reply.code(503).send({
        error: 'DATABASE_UNAVAILABLE',
        message: `the database is unreachable: ${error.message}`,
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send({ error: httpErrorCode(status), message: error.message });
  });

  registerReadRoutes(app, service);
  registerOrderRoutes(app, service);
  registerControlRoutes(app, service);

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` }),
  );
  return app;
}

export type TradingServer = ReturnType<typeof buildServer>;
