import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Pool } from 'pg';
import { operatorNames } from '../../../../lib/config/names';
import type { Stage } from '../../../../lib/config/stage-config';
import type { AuditSource } from '../../../common/db/audit';
import { SsmParameterStore } from '../../../common/parameters/ssm-parameter-store';
import { sleep } from '../../../common/retry';
import { DEFAULT_OPS_SETTINGS, type OpsContext, type OpsSettings } from '../ports';
import { TradingClient } from '../trading-client';
import {
  CloudWatchAlarmSource,
  CloudWatchLogSource,
  EcsFleet,
  ElbTargetHealth,
  S3ObjectStore,
  SnsNotifier,
} from './aws-platform';
import { RdsDatabaseAdmin } from './rds-admin';

/** The port of the trading tasks' API (TRADING_PORT in the CDK app). */
const TRADING_PORT = 8000;

export interface AwsContextOptions {
  readonly stage: Stage;
  readonly source: AuditSource;
  readonly region?: string;
  readonly bucket: string;
  readonly topics: { readonly page: string; readonly notify: string };
  /** The database; the Lambdas have it, the CLI outside the VPC does not. */
  readonly db?: Pool;
  /** The control token; absent means the tasks cannot be reached from here. */
  readonly controlToken?: () => Promise<string>;
  readonly settings?: Partial<OpsSettings>;
  /** Wraps each SDK client once (the Lambdas trace them with Powertools' tracer). */
  readonly instrument?: <T>(client: T) => T;
}

/** Where the stage's traffic leaves from, as the broker sees it (AWS's own what-is-my-ip). */
async function checkIp(): Promise<string> {
  const response = await fetch('https://checkip.amazonaws.com', {
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`checkip.amazonaws.com answered HTTP ${response.status}`);
  return (await response.text()).trim();
}

/**
 * The procedures' view of a stage in AWS, with clients that use the SDK's default credentials and
 * endpoint resolution (AWS_ENDPOINT_URL works).
 */
export function awsOpsContext(options: AwsContextOptions): OpsContext {
  const names = operatorNames(options.stage);
  const config = options.region ? { region: options.region } : {};
  const i = options.instrument ?? (<T>(client: T) => client);
  const cloudwatch = i(new CloudWatchClient(config));
  return {
    stage: options.stage,
    names,
    source: options.source,
    parameters: new SsmParameterStore(i(new SSMClient({ ...config, maxAttempts: 3 }))),
    fleet: new EcsFleet(i(new ECSClient(config)), names.cluster, TRADING_PORT),
    trading: options.controlToken
      ? new TradingClient(options.controlToken)
      : TradingClient.unreachable(
          'the trading tasks are only reachable inside the VPC (through the ops Lambdas)',
        ),
    objects: new S3ObjectStore(i(new S3Client(config)), options.bucket),
    notifier: new SnsNotifier(i(new SNSClient(config)), options.topics),
    db: options.db,
    logs: new CloudWatchLogSource(i(new CloudWatchLogsClient(config)), names.logGroup),
    alarms: new CloudWatchAlarmSource(cloudwatch, names.prefix),
    targets: new ElbTargetHealth(
      i(new ElasticLoadBalancingV2Client(config)),
      `${names.prefix}-dashboard`,
    ),
    database: new RdsDatabaseAdmin(i(new RDSClient(config)), cloudwatch, names.dbInstance),
    // Only inside the VPC is the answer the NAT's address the broker sees.
    egressIp: options.db ? checkIp : undefined,
    now: Date.now,
    sleep,
    settings: { ...DEFAULT_OPS_SETTINGS, ...options.settings },
  };
}
