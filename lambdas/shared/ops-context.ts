import { OpsEnvironmentSchema } from '../../contract/lambda-environment';
import { parseOrThrow } from '../../contract/validation';
import { createPool } from '../../services/common/db/pool';
import { afterRequestsSent, deferredModule } from '../../services/common/load-module';
import { secretReader } from '../../services/common/secrets';
import type { AwsContextPart } from '../../services/ops/platform/aws/aws-context';
import type { OpsContext } from '../../services/ops/platform/ports';

/** How long a read control token is used before it is read again (a rotation is picked up). */
const CONTROL_TOKEN_TTL_MS = 300_000;

// The adapters are needed once the secrets are read: they load once the reads are on the wire.
const awsContextModule = deferredModule<typeof import('./aws-context-core')>(() =>
  require('./aws-context-core'),
);

export interface LambdaOpsContextOptions {
  /**
   * The adapters this function's procedures use beyond the core (aws-context.ts), or a loader of
   * them (the function's code) that loads through `whileReading`: once the secret reads are on
   * the wire, while their answers are awaited.
   */
  readonly parts:
    | readonly AwsContextPart[]
    | ((whileReading: <T>(load: () => T) => Promise<T>) => Promise<readonly AwsContextPart[]>);
  /** Wraps each SDK client once (Powertools' tracer). */
  readonly instrument: <T>(client: T) => T;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The ops context of this container, composed of the core adapters and `parts`. Nothing is read
 * while the module loads: the first invocation parses the environment and reads the database and
 * control-token secrets concurrently; later invocations reuse the pool and the clients. A build
 * that failed is tried again by the next invocation.
 */
export function lambdaOpsContext(options: LambdaOpsContextOptions): () => Promise<OpsContext> {
  let cached: Promise<OpsContext> | undefined;
  return () => {
    cached ??= build(options).catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}

async function build(options: LambdaOpsContextOptions): Promise<OpsContext> {
  const variables = options.env ?? process.env;
  const env = parseOrThrow(OpsEnvironmentSchema, variables, 'ops function environment');
  const { instrument } = options;
  const controlToken = secretReader(env.CONTROL_TOKEN_SECRET_ARN, CONTROL_TOKEN_TTL_MS, {
    wrap: instrument,
  });
  // Started now, beside the database secret, so that the first call to a task finds it read. Not
  // awaited: a token that cannot be read fails only the steps that call a task, when they run.
  controlToken().catch(() => undefined);
  const { parts } = options;
  // The secrets are requested first; the code that needs them loads once the requests are on the
  // wire, while the answers are awaited.
  const pool = createPool(
    { secretArn: env.DB_SECRET_ARN, host: env.DB_HOST, port: env.DB_PORT, database: env.DB_NAME },
    { applicationName: `ops-${variables.AWS_LAMBDA_FUNCTION_NAME ?? 'lambda'}`, max: 2 },
  );
  const whileReading = <T>(load: () => T) => afterRequestsSent(pool, load);
  const [db, { awsContext }, functionParts] = await Promise.all([
    pool,
    whileReading(awsContextModule),
    typeof parts === 'function' ? parts(whileReading) : parts,
  ]);
  return awsContext(
    {
      stage: env.STAGE,
      source: 'lambda',
      bucket: env.DATA_BUCKET,
      recordsBucket: env.RECORDS_BUCKET,
      topics: { page: env.PAGE_TOPIC_ARN, notify: env.NOTIFY_TOPIC_ARN },
      db,
      controlToken,
      instrument,
      settings: {
        twoPersonResume: env.TWO_PERSON_RESUME,
        readinessGate: env.READINESS_GATE,
        mode: env.MODE,
        registeredEgressIps: env.REGISTERED_EGRESS_IPS,
        egressIps: env.EGRESS_IPS,
        brokerTokens: env.BROKER_TOKENS,
        snapshotRetentionDays: env.SNAPSHOT_RETENTION_DAYS,
        schedules: env.SCHEDULES,
      },
    },
    ...functionParts,
  );
}
