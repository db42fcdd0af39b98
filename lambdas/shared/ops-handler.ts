import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { AwsContextPart } from '../../services/ops/platform/aws/aws-context';
import type { OpsContext } from '../../services/ops/platform/ports';
import type { DeferredOpsFunction, StartedOpsFunction } from './ops-runtime';

/** What one invocation of an ops function gets besides its event and context. */
export interface OpsInvocation {
  readonly context: Context;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** An ops function's own code: its procedures and the adapters they need. */
export interface OpsFunction<R> {
  /** The adapters its procedures use beyond the core (aws-context.ts). */
  readonly parts: readonly AwsContextPart[];
  /** One invocation, with the container's ops context. */
  readonly run: (event: unknown, ctx: OpsContext, invocation: OpsInvocation) => Promise<R>;
}

export interface OpsHandlerOptions<R> {
  /** The Powertools service name (logs, metrics, traces). */
  readonly serviceName: string;
  /**
   * The function's code, as `() => require('./deferred').itsFunction`: a `require` inside a
   * function, so that it loads only when this is called. The build leaves `./deferred` out of the
   * handler's file and bundles it as a second file beside it (`deferred.js`): init reads and
   * parses only the handler's.
   */
  readonly load: () => DeferredOpsFunction<R>;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Whether this container was started ahead of demand (provisioned concurrency): its init is paid
 * before any request, so everything loads then rather than in the first invocation.
 */
export function isProvisioned(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.AWS_LAMBDA_INITIALIZATION_TYPE === 'provisioned-concurrency';
}

/**
 * A middleware taken from the started function on first use, in the first invocation's `before`.
 * Until then there is nothing to undo, so `after` and `onError` do nothing.
 */
function fromStarted(pick: () => MiddlewareObj): MiddlewareObj {
  let picked: MiddlewareObj | undefined;
  return {
    before: (request) => {
      picked ??= pick();
      return picked.before?.(request);
    },
    after: (request) => picked?.after?.(request),
    onError: (request) => picked?.onError?.(request),
  };
}

/**
 * The Lambda handler of an ops function. Init loads what the bare handler loads (Powertools'
 * logger and middy) and nothing else: an on-demand cold start loads the function's second file in
 * the first invocation's first middleware (the tracer, the metrics, the environment schema, the
 * secret reads), starts the secret reads, and loads the procedures, pg and the adapters once the
 * reads are on the wire (ops-runtime.ts). With provisioned concurrency everything, SDK packages
 * included, loads at init instead, which is paid before the first request. Either way init makes
 * no network call.
 *
 * Middleware order as Powertools documents it: the tracer's segment around everything, the
 * logger's context, then the metrics flushed last; each client the context creates is traced.
 */
export function opsHandler<R>({ serviceName, load, env = process.env }: OpsHandlerOptions<R>) {
  const stage = env.STAGE ?? 'unknown';
  const logger = new Logger({ serviceName, persistentKeys: { stage } });
  let started: StartedOpsFunction<R> | undefined;
  const fn = (): StartedOpsFunction<R> => {
    started ??= load().start({ serviceName, stage, logger, env });
    return started;
  };
  if (isProvisioned(env)) fn().loadAll();

  const lambdaHandler = (event: unknown, context: Context): Promise<R> =>
    fn().invoke(event, context);

  return middy(lambdaHandler)
    .use(fromStarted(() => fn().tracing))
    .use(injectLambdaContext(logger))
    .use(fromStarted(() => fn().metrics));
}
