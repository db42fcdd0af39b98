import type { Pool } from 'pg';
import { createPool } from '../../services/common/db/pool';
import { secretReader } from '../../services/common/secrets';
import { parseOrThrow } from '../../services/common/validation';
import { awsOpsContext } from '../../services/ops/platform/aws/aws-context';
import type { OpsContext } from '../../services/ops/platform/ports';
import { type OpsEnvironment, OpsEnvironmentSchema } from './environment';

let cached: Promise<OpsContext> | undefined;

/**
 * The ops context of this container: built on the first invocation, reused by the next ones (the
 * database pool and the SDK clients outlive a single event).
 */
export function opsContext(instrument: <T>(client: T) => T): Promise<OpsContext> {
  cached ??= build(
    parseOrThrow(OpsEnvironmentSchema, process.env, 'ops function environment'),
    instrument,
  ).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function build(env: OpsEnvironment, instrument: <T>(client: T) => T): Promise<OpsContext> {
  // Re-read now and then: a rotated token is picked up without a cold start.
  const controlToken = secretReader(env.CONTROL_TOKEN_SECRET_ARN, 300_000, { wrap: instrument });
  const db: Pool = await createPool(
    { secretArn: env.DB_SECRET_ARN, host: env.DB_HOST, port: env.DB_PORT, database: env.DB_NAME },
    { applicationName: `ops-${process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'lambda'}`, max: 2 },
  );
  return awsOpsContext({
    stage: env.STAGE,
    source: 'lambda',
    bucket: env.DATA_BUCKET,
    topics: { page: env.PAGE_TOPIC_ARN, notify: env.NOTIFY_TOPIC_ARN },
    db,
    controlToken,
    instrument,
    settings: {
      twoPersonResume: env.TWO_PERSON_RESUME,
      readinessGate: env.READINESS_GATE,
      registeredEgressIps: env.REGISTERED_EGRESS_IPS,
      brokerTokens: env.BROKER_TOKENS,
      snapshotRetentionDays: env.SNAPSHOT_RETENTION_DAYS,
      schedules: env.SCHEDULES,
    },
  });
}
