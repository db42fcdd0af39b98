import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Pool } from 'pg';
import { type OperatorNames, operatorNames } from '../../../../contract/names';
import type { Stage } from '../../../../contract/stage';
import type { AuditSource } from '../../../common/db/audit';
import { loadModule } from '../../../common/load-module';
import { sleep } from '../../../common/retry';
import { ObjectStoreAuditSpool } from '../object-store-audit-spool';
import {
  DEFAULT_OPS_SETTINGS,
  type ObjectStore,
  type OpsContext,
  type OpsSettings,
} from '../ports';
import { TradingClient } from '../trading-client';

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
 * An adapter that loads its module (and with it its SDK client package) on its first call. A
 * function that never touches RDS, Logs or the load balancer never loads those clients: the
 * cold start pays for what the procedure uses. `known` answers the synchronous properties.
 */
export function lazyAdapter<T extends object>(load: () => Promise<T>, known: Partial<T> = {}): T {
  let loaded: Promise<T> | undefined;
  return new Proxy(known as T, {
    get(target, prop, receiver) {
      if (prop in target) return Reflect.get(target, prop, receiver);
      // Not a promise itself: `await adapter` must not call into it.
      if (prop === 'then') return undefined;
      return (...args: unknown[]) => {
        loaded ??= load().catch((error: unknown) => {
          loaded = undefined;
          throw error;
        });
        return loaded.then((adapter) =>
          (adapter[prop as keyof T] as (...a: unknown[]) => unknown).apply(adapter, args),
        );
      };
    },
  });
}

/** What the parts of a context share: names, SDK client settings, and one CloudWatch client. */
export interface AwsContextKit {
  readonly options: AwsContextOptions;
  readonly names: OperatorNames;
  readonly config: { readonly region?: string };
  readonly instrument: <T>(client: T) => T;
  /** Alarms and the database's free-storage metric share one CloudWatch client. */
  readonly cloudwatch: () => Promise<CloudWatchClient>;
}

/**
 * Adapters a function adds to the core context. Each part is its own export, so a bundle that
 * does not name a part leaves out its adapter modules (esbuild drops the unused `require`s).
 */
export type AwsContextPart = (kit: AwsContextKit) => Partial<OpsContext>;

/** The service logs and the stage's alarms (the incident bundle, the checklists, status). */
export const withLogsAndAlarms: AwsContextPart = ({
  names,
  config,
  instrument: i,
  cloudwatch,
}) => ({
  logs: lazyAdapter(async () => {
    const [{ CloudWatchLogsClient }, { CloudWatchLogSource }] = await Promise.all([
      loadModule<typeof import('@aws-sdk/client-cloudwatch-logs')>(() =>
        require('@aws-sdk/client-cloudwatch-logs'),
      ),
      loadModule<typeof import('./cloudwatch-log-source')>(() =>
        require('./cloudwatch-log-source'),
      ),
    ]);
    return new CloudWatchLogSource(i(new CloudWatchLogsClient(config)), names.logGroup);
  }),
  alarms: lazyAdapter(async () => {
    const { CloudWatchAlarmSource } = await loadModule<typeof import('./cloudwatch-alarm-source')>(
      () => require('./cloudwatch-alarm-source'),
    );
    return new CloudWatchAlarmSource(await cloudwatch(), names.prefix);
  }),
});

/** RDS: describe, snapshots, restore (the checklists, the backup, the admin function). */
export const withDatabaseAdmin: AwsContextPart = ({
  names,
  config,
  instrument: i,
  cloudwatch,
}) => ({
  database: lazyAdapter(
    async () => {
      const [{ RDSClient }, { RdsDatabaseAdmin }] = await Promise.all([
        loadModule<typeof import('@aws-sdk/client-rds')>(() => require('@aws-sdk/client-rds')),
        loadModule<typeof import('./rds-admin')>(() => require('./rds-admin')),
      ]);
      return new RdsDatabaseAdmin(i(new RDSClient(config)), await cloudwatch(), names.dbInstance);
    },
    { instanceId: names.dbInstance },
  ),
});

/** The dashboard's load balancer targets and the egress IP (the morning checks). */
export const withTargetsAndEgress: AwsContextPart = ({
  options,
  names,
  config,
  instrument: i,
}) => ({
  targets: lazyAdapter(async () => {
    const [{ ElasticLoadBalancingV2Client }, { ElbTargetHealth }] = await Promise.all([
      loadModule<typeof import('@aws-sdk/client-elastic-load-balancing-v2')>(() =>
        require('@aws-sdk/client-elastic-load-balancing-v2'),
      ),
      loadModule<typeof import('./elb-target-health')>(() => require('./elb-target-health')),
    ]);
    return new ElbTargetHealth(
      i(new ElasticLoadBalancingV2Client(config)),
      `${names.prefix}-dashboard`,
    );
  }),
  // Only inside the VPC is the answer the NAT's address the broker sees.
  egressIp: options.db ? checkIp : undefined,
});

/**
 * A stage in AWS as the procedures see it: the core every procedure uses (flag store, fleet, the
 * tasks' API, object store, notifier, database) plus `parts`. Clients use the SDK's default
 * credentials and endpoint resolution (AWS_ENDPOINT_URL works); each adapter and its SDK client
 * load on first use.
 */
export function awsContext(options: AwsContextOptions, ...parts: AwsContextPart[]): OpsContext {
  const names = operatorNames(options.stage);
  const config = options.region ? { region: options.region } : {};
  const i = options.instrument ?? (<T>(client: T) => client);
  let cloudwatch: Promise<CloudWatchClient> | undefined;
  const kit: AwsContextKit = {
    options,
    names,
    config,
    instrument: i,
    cloudwatch: () =>
      (cloudwatch ??= loadModule<typeof import('@aws-sdk/client-cloudwatch')>(() =>
        require('@aws-sdk/client-cloudwatch'),
      ).then((m) => i(new m.CloudWatchClient(config)))),
  };
  const objects: ObjectStore = lazyAdapter(
    async () => {
      const [{ S3Client }, { S3ObjectStore }] = await Promise.all([
        loadModule<typeof import('@aws-sdk/client-s3')>(() => require('@aws-sdk/client-s3')),
        loadModule<typeof import('./s3-object-store')>(() => require('./s3-object-store')),
      ]);
      return new S3ObjectStore(i(new S3Client(config)), options.bucket);
    },
    { location: `s3://${options.bucket}` },
  );
  const core: OpsContext = {
    stage: options.stage,
    names,
    source: options.source,
    parameters: lazyAdapter(
      async () => {
        const [{ SSMClient }, { SsmParameterStore }] = await Promise.all([
          loadModule<typeof import('@aws-sdk/client-ssm')>(() => require('@aws-sdk/client-ssm')),
          loadModule<typeof import('../../../common/parameters/ssm-parameter-store')>(() =>
            require('../../../common/parameters/ssm-parameter-store'),
          ),
        ]);
        return new SsmParameterStore(i(new SSMClient({ ...config, maxAttempts: 3 })));
      },
      { kind: 'ssm' },
    ),
    fleet: lazyAdapter(async () => {
      const [{ ECSClient }, { EcsFleet }] = await Promise.all([
        loadModule<typeof import('@aws-sdk/client-ecs')>(() => require('@aws-sdk/client-ecs')),
        loadModule<typeof import('./ecs-fleet')>(() => require('./ecs-fleet')),
      ]);
      return new EcsFleet(i(new ECSClient(config)), names.cluster, TRADING_PORT);
    }),
    trading: options.controlToken
      ? new TradingClient(options.controlToken)
      : TradingClient.unreachable(
          'the trading tasks are only reachable inside the VPC (through the ops Lambdas)',
        ),
    objects,
    auditSpool: new ObjectStoreAuditSpool(objects),
    notifier: lazyAdapter(async () => {
      const [{ SNSClient }, { SnsNotifier }] = await Promise.all([
        loadModule<typeof import('@aws-sdk/client-sns')>(() => require('@aws-sdk/client-sns')),
        loadModule<typeof import('./sns-notifier')>(() => require('./sns-notifier')),
      ]);
      return new SnsNotifier(i(new SNSClient(config)), options.topics);
    }),
    db: options.db,
    now: Date.now,
    sleep,
    settings: { ...DEFAULT_OPS_SETTINGS, ...options.settings },
  };
  return Object.assign(core, ...parts.map((part) => part(kit)));
}

/** Every part: what the checklists (and so a resume's readiness check) look at. */
export const EVERY_CONTEXT_PART: readonly AwsContextPart[] = [
  withLogsAndAlarms,
  withDatabaseAdmin,
  withTargetsAndEgress,
];

/** Every adapter: what the CLI, the dashboard and the scheduled functions work with. */
export function awsOpsContext(options: AwsContextOptions): OpsContext {
  return awsContext(options, ...EVERY_CONTEXT_PART);
}
