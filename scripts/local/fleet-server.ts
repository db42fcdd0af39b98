import Fastify, { type FastifyError } from 'fastify';
import { bearerTokenMatches } from '../../services/common/bearer-token';
import type { LocalFleet } from './local-fleet';

const nameParams = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', pattern: '^[a-z-]{1,40}$' } },
} as const;

/**
 * The local fleet's API: what ECS DescribeServices, UpdateService, ListTasks and TagResource are
 * in AWS. Loopback only; writes need the local stack's control token.
 */
export function buildFleetServer(fleet: LocalFleet, controlToken: string) {
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
  });
  const expected = Buffer.from(controlToken);
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET') return undefined;
    if (!bearerTokenMatches(expected, request.headers.authorization)) {
      return reply
        .code(401)
        .send({ error: 'UNAUTHORIZED', message: 'the local stack control token is required' });
    }
    return undefined;
  });
  app.setErrorHandler((error: FastifyError, _request, reply) =>
    reply.code(error.statusCode ?? 400).send({ error: 'BAD_REQUEST', message: error.message }),
  );
  const withService = <T>(name: string, fn: () => T) => {
    if (!fleet.names().includes(name)) {
      throw Object.assign(
        new Error(`no service "${name}"; services: ${fleet.names().join(', ')}`),
        { statusCode: 404 },
      );
    }
    return fn();
  };

  app.get('/services', async () => ({ services: fleet.names().map((n) => fleet.describe(n)) }));
  app.get('/services/:name', { schema: { params: nameParams } }, async (request) => {
    const { name } = request.params as { name: string };
    return withService(name, () => fleet.describe(name));
  });
  app.post(
    '/services/:name/desired-count',
    {
      schema: {
        params: nameParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['desiredCount'],
          properties: { desiredCount: { type: 'integer', minimum: 0, maximum: 10 } },
        },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const { desiredCount } = request.body as { desiredCount: number };
      return withService(name, () => fleet.setDesiredCount(name, desiredCount));
    },
  );
  app.post('/services/:name/deployments', { schema: { params: nameParams } }, async (request) => {
    const { name } = request.params as { name: string };
    return withService(name, () => fleet.forceNewDeployment(name));
  });
  app.put(
    '/services/:name/tags',
    {
      schema: {
        params: nameParams,
        body: {
          type: 'object',
          additionalProperties: { type: 'string', maxLength: 256 },
          maxProperties: 20,
        },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      return withService(name, () => {
        fleet.tagResource(name, request.body as Record<string, string>);
        return fleet.describe(name).tags;
      });
    },
  );
  app.delete(
    '/services/:name/tags/:key',
    {
      schema: {
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'key'],
          properties: { name: { type: 'string' }, key: { type: 'string', maxLength: 128 } },
        },
      },
    },
    async (request) => {
      const { name, key } = request.params as { name: string; key: string };
      return withService(name, () => {
        fleet.untagResource(name, [key]);
        return fleet.describe(name).tags;
      });
    },
  );
  return app;
}
