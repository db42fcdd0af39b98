import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterIo, deferredModule, loadDeferredModules } from '../../services/common/load-module';
import type { AwsContextPart } from '../../services/ops/platform/aws/aws-context';
import type { OpsContext } from '../../services/ops/platform/ports';

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
   * The function's own code, as `() => require('./its-module').itsFunction`: a `require` inside a
   * function, which esbuild keeps lazy, so that the module loads only when this is called.
   */
  readonly load: () => OpsFunction<R>;
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

const instrumentsModule = deferredModule<typeof import('./powertools')>(() =>
  require('./powertools'),
);
const opsContextModule = deferredModule<typeof import('./ops-context')>(() =>
  require('./ops-context'),
);

/** `fn` called once; later calls return its first result. */
function once<T>(fn: () => T): () => T {
  let done: { value: T } | undefined;
  return () => {
    done ??= { value: fn() };
    return done.value;
  };
}

/**
 * A middleware made on first use: `make` runs in the first invocation's `before`, so that what it
 * needs (the tracer, the metrics) loads then. Until it has run there is nothing to undo, so
 * `after` and `onError` do nothing.
 */
function madeOnFirstUse(make: () => MiddlewareObj): MiddlewareObj {
  let made: MiddlewareObj | undefined;
  return {
    before: (request) => {
      made ??= make();
      return made.before?.(request);
    },
    after: (request) => made?.after?.(request),
    onError: (request) => made?.onError?.(request),
  };
}

/**
 * The Lambda handler of an ops function. Init loads what the bare handler loads (Powertools'
 * logger and middy) and nothing else: an on-demand cold start loads the tracer and the metrics in
 * the first invocation's first middleware, parses the environment and starts the secret reads,
 * and only then loads the function's code (procedures, pg, schemas), while the reads are under
 * way. With provisioned concurrency everything loads at init instead, which is paid before the
 * first request. Either way init makes no network call.
 *
 * Middleware order as Powertools documents it: the tracer's segment around everything, the
 * logger's context, then the metrics flushed last; each client the context creates is traced.
 */
export function opsHandler<R>({ serviceName, load, env = process.env }: OpsHandlerOptions<R>) {
  const stage = env.STAGE ?? 'unknown';
  const logger = new Logger({ serviceName, persistentKeys: { stage } });
  const instruments = once(() => instrumentsModule().tracerAndMetrics(serviceName, stage));
  const tracer = (): Tracer => instruments().tracer;
  const code = once(load);
  const opsContext = once(() =>
    opsContextModule().lambdaOpsContext({
      parts: () => afterIo(code).then((fn) => fn.parts),
      instrument: (client) => tracer().captureAWSv3Client(client),
      env,
    }),
  );
  if (isProvisioned(env)) {
    instruments();
    code();
    opsContext();
    loadDeferredModules();
  }

  const lambdaHandler = async (event: unknown, context: Context): Promise<R> => {
    const [ctx, fn] = await Promise.all([opsContext()(), afterIo(code)]);
    return fn.run(event, ctx, { context, logger, metrics: instruments().metrics });
  };

  return middy(lambdaHandler)
    .use(madeOnFirstUse(() => captureLambdaHandler(tracer())))
    .use(injectLambdaContext(logger))
    .use(madeOnFirstUse(() => logMetrics(instruments().metrics)));
}
