import type { Logger } from '@aws-lambda-powertools/logger';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadDeferredModules } from '../../services/common/load-module';
import { lambdaOpsContext } from './ops-context';
import type { OpsFunction } from './ops-handler';
import { tracerAndMetrics } from './powertools';

/** What the handler passes to the code it loads: who it is and its logger (created at init). */
export interface OpsRuntimeOptions {
  readonly serviceName: string;
  readonly stage: string;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
}

/** An ops function's code started in this container. */
export interface StartedOpsFunction<R> {
  /** Powertools' tracer middleware (the segment around everything, every SDK client traced). */
  readonly tracing: MiddlewareObj;
  /** Powertools' metrics middleware (flushed last). */
  readonly metrics: MiddlewareObj;
  /** One invocation: the ops context (built by the first), then the function's code. */
  readonly invoke: (event: unknown, context: Context) => Promise<R>;
  /** Loads everything now, for a container started ahead of demand (provisioned concurrency). */
  readonly loadAll: () => void;
}

/** The second file of an ops function's asset, loaded by its handler (ops-handler.ts). */
export interface DeferredOpsFunction<R> {
  readonly start: (options: OpsRuntimeOptions) => StartedOpsFunction<R>;
}

/** `fn` called once; later calls return its first result. */
function once<T>(fn: () => T): () => T {
  let done: { value: T } | undefined;
  return () => {
    done ??= { value: fn() };
    return done.value;
  };
}

/**
 * An ops function's code behind its handler, for the second file of the function's asset
 * (`deferred.js`, which the handler requires on the first invocation). Loading it evaluates what
 * the first AWS request needs (the tracer, the metrics, the environment schema, the secret
 * reads); `load` (the procedures, the adapters, pg) runs only once those requests are on the wire,
 * while their answers are awaited. `loadAll` loads it all, with every SDK package the adapters
 * may use, for a provisioned container's init.
 */
export function deferredOpsFunction<R>(load: () => OpsFunction<R>): DeferredOpsFunction<R> {
  return {
    start: ({ serviceName, stage, logger, env }) => {
      const { tracer, metrics } = tracerAndMetrics(serviceName, stage);
      const code = once(load);
      const opsContext = lambdaOpsContext({
        parts: (whileReading) => whileReading(code).then((fn) => fn.parts),
        instrument: (client) => tracer.captureAWSv3Client(client),
        env,
      });
      return {
        tracing: captureLambdaHandler(tracer),
        metrics: logMetrics(metrics),
        invoke: async (event, context) => {
          const ctx = await opsContext();
          return code().run(event, ctx, { context, logger, metrics });
        },
        loadAll: () => {
          code();
          loadDeferredModules();
        },
      };
    },
  };
}
