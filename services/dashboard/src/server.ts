import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import * as z from 'zod';
import { AlgoIdSchema } from '../../../contract/algo-id';
import type { OperatorEvent } from '../../../contract/operator-events';
import { parseOrThrow, ValidationError } from '../../../contract/validation';
import { messageOf } from '../../common/errors';
import { httpErrorCode, useStrictJsonBodies } from '../../common/http-json';
import type { OpsContext } from '../../ops/platform/ports';
import { type Authenticator, type Identity, LOCAL_COOKIE } from './auth';
import type { ControlGateway } from './control';
import { dashboardReads } from './views';

const PNL_SAMPLE_MS = 5000;

export interface DashboardOptions {
  readonly ctx: OpsContext;
  readonly control: ControlGateway;
  readonly auth: Authenticator;
  readonly log?: Logger;
  /** @default services/dashboard/public */
  readonly publicDir?: string;
}

/** The buttons: what each one sends, beside who and why. */
const ControlBodySchema = z
  .object({
    reason: z.string().trim().min(3, 'a reason of at least 3 characters is required').max(500),
    scaleToZero: z.boolean().optional(),
    approvedBy: z.string().trim().min(1).max(200).optional(),
    /** A strategy row's button: the action for that algo ID only. */
    algoId: AlgoIdSchema.optional(),
  })
  .strict();
const CONTROL_ACTIONS = ['kill', 'halt', 'resume', 'pause', 'unpause', 'flatten'] as const;
const ActionSchema = z.enum(CONTROL_ACTIONS);

const STATIC: Record<string, string> = {
  '/': 'index.html',
  // The page's script: app.js and the ES modules it imports (each by its own route).
  '/app.js': 'app.js',
  '/controls.js': 'controls.js',
  '/dom.js': 'dom.js',
  '/pages.js': 'pages.js',
  '/pnl-chart.js': 'pnl-chart.js',
  '/polling.js': 'polling.js',
  '/requests.js': 'requests.js',
  '/app.css': 'app.css',
  '/favicon.svg': 'favicon.svg',
  // Browsers ask for /favicon.ico by themselves (a 404 in every console otherwise).
  '/favicon.ico': 'favicon.svg',
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function cookies(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const i = pair.indexOf('=');
    if (i <= 0) continue;
    // Another site's malformed cookie on the same domain is skipped, not a 500.
    try {
      out[pair.slice(0, i).trim()] = decodeURIComponent(pair.slice(i + 1).trim());
    } catch {
      // skipped
    }
  }
  return out;
}

/**
 * The operations dashboard: pages over the procedures' read model, and the emergency controls,
 * which go through the same procedures as the CLI. Every /api route needs an identity.
 */
export function buildDashboardServer(options: DashboardOptions) {
  const { ctx, control, auth } = options;
  // Bundled (the container), public/ sits beside main.js; from source, beside src/.
  const bundled = path.join(__dirname, 'public');
  const publicDir =
    options.publicDir ?? (existsSync(bundled) ? bundled : path.join(__dirname, '../public'));
  // A few small files, read once: a page load does no disk I/O.
  const pages = Object.entries(STATIC).map(([route, file]) => ({
    route,
    type: TYPES[path.extname(file)] ?? 'application/octet-stream',
    body: readFileSync(path.join(publicDir, file)),
  }));
  const app = Fastify({
    loggerInstance: options.log,
    bodyLimit: 16 * 1024,
  });
  useStrictJsonBodies(app);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send({ error: httpErrorCode(status), message: error.message });
  });
  const reads = dashboardReads(ctx);
  // The chart's points: every 5 s from start, not only while someone has the page open.
  const sampler = setInterval(() => {
    reads.samplePnl().catch(() => undefined);
  }, PNL_SAMPLE_MS).unref();
  app.addHook('onClose', async () => clearInterval(sampler));

  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', "default-src 'self'; frame-ancestors 'none'");
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cache-control', 'no-store');
  });

  const identity = async (request: FastifyRequest, reply: FastifyReply) => {
    const who = await auth.identify({ headers: request.headers, cookies: cookies(request) });
    if (!who) {
      await reply.code(401).send({ error: 'UNAUTHENTICATED', message: 'sign in first' });
      return undefined;
    }
    return who;
  };
  const read =
    (view: () => Promise<unknown>) => async (request: FastifyRequest, reply: FastifyReply) => {
      if (!(await identity(request, reply))) return reply;
      try {
        return await view();
      } catch (error) {
        return reply.code(502).send({ error: 'UNAVAILABLE', message: messageOf(error) });
      }
    };

  app.get('/health', { logLevel: 'warn' }, async () => ({ ok: true }));
  for (const page of pages) {
    app.get(page.route, async (_request, reply) => reply.type(page.type).send(page.body));
  }
  // The local stack's sign-in: `npm start` prints /login?token=...; the cookie carries it.
  app.get('/login', async (request, reply) => {
    const token = (request.query as { token?: string }).token ?? '';
    const who = await auth.identify({ headers: {}, cookies: { [LOCAL_COOKIE]: token } });
    if (!who) return reply.code(401).send({ error: 'UNAUTHENTICATED', message: 'wrong token' });
    return reply
      .header(
        'set-cookie',
        `${LOCAL_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      )
      .redirect('/');
  });

  app.get('/api/whoami', async (request, reply) => {
    const who = await identity(request, reply);
    return who ? { name: who.name, via: who.via, stage: ctx.stage } : reply;
  });
  // The pages poll every 2 s: their requests are logged only when something goes wrong.
  const quiet = { logLevel: 'warn' } as const;
  app.get('/api/status', quiet, read(reads.status));
  app.get('/api/positions', quiet, read(reads.positions));
  app.get('/api/performance', quiet, read(reads.performance));
  app.get('/api/health', quiet, read(reads.health));
  app.get('/api/audit', quiet, read(reads.audit));
  app.get('/api/tokens', quiet, read(reads.tokens));

  app.post('/api/control/:action', async (request, reply) => {
    const who: Identity | undefined = await identity(request, reply);
    if (!who) return reply;
    let event: OperatorEvent;
    try {
      const action = parseOrThrow(
        ActionSchema,
        (request.params as { action: string }).action,
        'control action',
      );
      const body = parseOrThrow(ControlBodySchema, request.body ?? {}, `${action} request`);
      const base = { requestedBy: who.name, reason: body.reason };
      const algo = body.algoId === undefined ? {} : { algoId: body.algoId };
      if (body.algoId !== undefined && (action === 'pause' || action === 'unpause'))
        throw new ValidationError(`${action} applies to every algo: no algoId`, []);
      // The page flattens one strategy's algo, never the whole book from a row.
      if (action === 'flatten' && body.algoId === undefined)
        throw new ValidationError('flatten from the dashboard names an algoId', []);
      event =
        action === 'kill'
          ? { action, ...base, ...algo, scaleToZero: body.scaleToZero ?? false }
          : action === 'resume'
            ? { action, ...base, ...algo, approvedBy: body.approvedBy }
            : action === 'halt' || action === 'flatten'
              ? { action, ...base, ...algo }
              : { action, ...base };
    } catch (error) {
      if (error instanceof ValidationError)
        return reply.code(400).send({ error: 'BAD_REQUEST', message: error.message });
      throw error;
    }
    try {
      return await control.run(event);
    } catch (error) {
      return reply.code(502).send({ error: 'CONTROL_FAILED', message: messageOf(error) });
    }
  });
  return app;
}

export type DashboardServer = ReturnType<typeof buildDashboardServer>;
