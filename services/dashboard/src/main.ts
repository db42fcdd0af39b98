import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { StageTokensSchema } from '../../../contract/broker-tokens';
import { jsonText, parseOrThrow } from '../../../contract/validation';
import { createPool } from '../../common/db/pool';
import { messageOf } from '../../common/errors';
import { createLogger } from '../../common/logger';
import { awsOpsContext } from '../../ops/platform/aws/aws-context';
import { AlbOidcAuth } from './auth';
import { lambdaControl } from './control';
import { buildDashboardServer } from './server';

/** The dashboard task's environment (lib/constructs/dashboard-service.ts sets it). */
const DashboardEnvSchema = z.object({
  STAGE: z.enum(['dev', 'staging', 'prod']),
  AWS_REGION: z.string().min(1),
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  DB_HOST: z.string().min(1),
  DB_PORT: z.coerce.number().int().positive(),
  DB_NAME: z.string().min(1),
  DB_SECRET_ARN: z.string().startsWith('arn:'),
  /** The ALB that signs the users' claims: only its signature is an identity. */
  ALB_ARN: z.string().startsWith('arn:'),
  DATA_BUCKET: z.string().min(3),
  PAGE_TOPIC_ARN: z.string().startsWith('arn:'),
  NOTIFY_TOPIC_ARN: z.string().startsWith('arn:'),
  /** JSON: the stage's named tokens at its broker (the token card), or `null` on paper. */
  BROKER_TOKEN_SET: jsonText(StageTokensSchema.nullable()),
  /** The egress IPs registered with the broker, comma-separated (Angel One's calls name the first). */
  REGISTERED_EGRESS_IPS: z
    .string()
    .default('')
    .transform((v) => v.split(',').filter(Boolean))
    .pipe(z.array(z.ipv4())),
});

async function main(): Promise<void> {
  const env = parseOrThrow(DashboardEnvSchema, process.env, 'dashboard environment');
  const log = createLogger('dashboard', env.LOG_LEVEL, { stage: env.STAGE });
  // The dashboard only reads the tasks (reads need no token); its buttons go through the ops
  // functions. It holds no control token, so a compromised dashboard cannot act unaudited.
  const controlToken = async (): Promise<string> => {
    throw new Error('the dashboard holds no control token: its buttons invoke the ops functions');
  };
  const db = await createPool(
    { secretArn: env.DB_SECRET_ARN, host: env.DB_HOST, port: env.DB_PORT, database: env.DB_NAME },
    { applicationName: 'dashboard', max: 3 },
  );
  const ctx = awsOpsContext({
    stage: env.STAGE,
    source: 'dashboard',
    bucket: env.DATA_BUCKET,
    topics: { page: env.PAGE_TOPIC_ARN, notify: env.NOTIFY_TOPIC_ARN },
    db,
    controlToken,
    tokens: env.BROKER_TOKEN_SET ?? undefined,
    settings: { registeredEgressIps: env.REGISTERED_EGRESS_IPS },
  });
  const app = buildDashboardServer({
    ctx,
    // The buttons invoke the Ops stack's functions, as `tradeops` does.
    control: lambdaControl(
      env.STAGE,
      new SSMClient({}),
      new LambdaClient({ requestHandler: { requestTimeout: 16 * 60_000 } }),
    ),
    auth: new AlbOidcAuth(env.ALB_ARN, env.AWS_REGION),
    log,
  });
  await app.listen({ host: '0.0.0.0', port: env.PORT });
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await app.close();
    await db.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`dashboard failed to start: ${messageOf(error)}`);
  process.exit(1);
});
