import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Pool } from 'pg';
import {
  brokerSecretNames,
  type StageTokens,
  TOKEN_LOGIN_MODES,
} from '../../../../contract/broker-tokens';
import { type OperatorNames, operatorNames } from '../../../../contract/names';
import type { Stage } from '../../../../contract/stage';
import type { AuditSource } from '../../../common/db/audit';
import { deferredModule, loadModule } from '../../../common/load-module';
import { sleep } from '../../../common/retry';
import type { TokenGate } from '../../../common/tokens/token-gate';
import type { BrokerTokenLogin } from '../../../common/tokens/token-login';
import { ObjectStoreAuditSpool } from '../object-store-audit-spool';
import {
  DEFAULT_OPS_SETTINGS,
  type ObjectStore,
  type OpsContext,
  type OpsSettings,
} from '../ports';
import { TradingClient } from '../trading-client';

// Each adapter and its SDK package load on the adapter's first call; registered so that a
// provisioned container loads them all at init (loadDeferredModules) rather than in its first kill.
// Marked pure so that a bundle whose parts never use one leaves it out, registration included.
const cloudwatchLogsSdk = /* @__PURE__ */ deferredModule(() =>
  require('@aws-sdk/client-cloudwatch-logs'),
);
const cloudwatchLogSourceModule = /* @__PURE__ */ deferredModule(() =>
  require('./cloudwatch-log-source'),
);
const cloudwatchAlarmSourceModule = /* @__PURE__ */ deferredModule(() =>
  require('./cloudwatch-alarm-source'),
);
const rdsSdk = /* @__PURE__ */ deferredModule(() => require('@aws-sdk/client-rds'));
const rdsAdminModule = /* @__PURE__ */ deferredModule(() => require('./rds-admin'));
const elasticLoadBalancingV2Sdk = /* @__PURE__ */ deferredModule(() =>
  require('@aws-sdk/client-elastic-load-balancing-v2'),
);
const elbTargetHealthModule = /* @__PURE__ */ deferredModule(() => require('./elb-target-health'));
const cloudwatchSdk = /* @__PURE__ */ deferredModule(() => require('@aws-sdk/client-cloudwatch'));
const s3Sdk = /* @__PURE__ */ deferredModule(() => require('@aws-sdk/client-s3'));
const s3ObjectStoreModule = /* @__PURE__ */ deferredModule(() => require('./s3-object-store'));
const ssmSdk = /* @__PURE__ */ deferredModule(() => require('@aws-sdk/client-ssm'));
const ssmParameterStoreModule = /* @__PURE__ */ deferredModule(() =>
  require('../../../common/parameters/ssm-parameter-store'),
);
const ecsSdk = /* @__PURE__ */ deferredModule(() => require('@aws-sdk/client-ecs'));
const ecsFleetModule = /* @__PURE__ */ deferredModule(() => require('./ecs-fleet'));
const snsSdk = /* @__PURE__ */ deferredModule(() => require('@aws-sdk/client-sns'));
const snsNotifierModule = /* @__PURE__ */ deferredModule(() => require('./sns-notifier'));
// The broker SDKs (kiteconnect) and Secrets Manager load on the first token call: a function that
// never looks at a token (the emergency stop's bundle has no part of this) never loads them.
const secretsManagerSdk = /* @__PURE__ */ deferredModule(() =>
  require('@aws-sdk/client-secrets-manager'),
);
const tokenLoginRegistryModule = /* @__PURE__ */ deferredModule(() =>
  require('../../../common/tokens/token-login-registry'),
);
const tokenGateModule = /* @__PURE__ */ deferredModule(() =>
  require('../../../common/tokens/token-gate'),
);

/** The port of the trading tasks' API (TRADING_PORT in the CDK app). */
const TRADING_PORT = 8000;

export interface AwsContextOptions {
  readonly stage: Stage;
  readonly source: AuditSource;
  readonly region?: string;
  readonly bucket: string;
  /** The records bucket (Object Lock); absent: the context has no `records` store. */
  readonly recordsBucket?: string;
  readonly topics: { readonly page: string; readonly notify: string };
  /** The database; the Lambdas have it, the CLI outside the VPC does not. */
  readonly db?: Pool;
  /** The control token; absent means the tasks cannot be reached from here. */
  readonly controlToken?: () => Promise<string>;
  readonly settings?: Partial<OpsSettings>;
  /** Wraps each SDK client once (the Lambdas trace them with Powertools' tracer). */
  readonly instrument?: <T>(client: T) => T;
  /** The stage's named broker tokens (`withBrokerTokens`); absent: the paper broker. */
  readonly tokens?: StageTokens;
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
      loadModule<typeof import('@aws-sdk/client-cloudwatch-logs')>(cloudwatchLogsSdk),
      loadModule<typeof import('./cloudwatch-log-source')>(cloudwatchLogSourceModule),
    ]);
    return new CloudWatchLogSource(i(new CloudWatchLogsClient(config)), names.logGroup);
  }),
  alarms: lazyAdapter(async () => {
    const { CloudWatchAlarmSource } = await loadModule<typeof import('./cloudwatch-alarm-source')>(
      cloudwatchAlarmSourceModule,
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
        loadModule<typeof import('@aws-sdk/client-rds')>(rdsSdk),
        loadModule<typeof import('./rds-admin')>(rdsAdminModule),
      ]);
      return new RdsDatabaseAdmin(i(new RDSClient(config)), await cloudwatch(), names.dbInstance);
    },
    { instanceId: names.dbInstance },
  ),
});

/** The dashboard's load balancer targets (the morning checks). */
export const withTargets: AwsContextPart = ({ names, config, instrument: i }) => ({
  targets: lazyAdapter(async () => {
    const [{ ElasticLoadBalancingV2Client }, { ElbTargetHealth }] = await Promise.all([
      loadModule<typeof import('@aws-sdk/client-elastic-load-balancing-v2')>(
        elasticLoadBalancingV2Sdk,
      ),
      loadModule<typeof import('./elb-target-health')>(elbTargetHealthModule),
    ]);
    return new ElbTargetHealth(
      i(new ElasticLoadBalancingV2Client(config)),
      `${names.prefix}-dashboard`,
    );
  }),
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
      (cloudwatch ??= loadModule<typeof import('@aws-sdk/client-cloudwatch')>(cloudwatchSdk).then(
        (m) => i(new m.CloudWatchClient(config)),
      )),
  };
  let s3: Promise<import('@aws-sdk/client-s3').S3Client> | undefined;
  const store = (bucket: string): ObjectStore =>
    lazyAdapter(
      async () => {
        const [{ S3Client }, { S3ObjectStore }] = await Promise.all([
          loadModule<typeof import('@aws-sdk/client-s3')>(s3Sdk),
          loadModule<typeof import('./s3-object-store')>(s3ObjectStoreModule),
        ]);
        // One client for both buckets.
        s3 ??= Promise.resolve(i(new S3Client(config)));
        return new S3ObjectStore(await s3, bucket);
      },
      { location: `s3://${bucket}` },
    );
  const objects = store(options.bucket);
  const core: OpsContext = {
    stage: options.stage,
    names,
    source: options.source,
    parameters: lazyAdapter(
      async () => {
        const [{ SSMClient }, { SsmParameterStore }] = await Promise.all([
          loadModule<typeof import('@aws-sdk/client-ssm')>(ssmSdk),
          loadModule<typeof import('../../../common/parameters/ssm-parameter-store')>(
            ssmParameterStoreModule,
          ),
        ]);
        return new SsmParameterStore(i(new SSMClient({ ...config, maxAttempts: 3 })));
      },
      { kind: 'ssm' },
    ),
    fleet: lazyAdapter(async () => {
      const [{ ECSClient }, { EcsFleet }] = await Promise.all([
        loadModule<typeof import('@aws-sdk/client-ecs')>(ecsSdk),
        loadModule<typeof import('./ecs-fleet')>(ecsFleetModule),
      ]);
      return new EcsFleet(i(new ECSClient(config)), names.cluster, TRADING_PORT);
    }),
    trading: options.controlToken
      ? new TradingClient(options.controlToken)
      : TradingClient.unreachable(
          'the trading tasks are only reachable inside the VPC (through the ops Lambdas)',
        ),
    objects,
    ...(options.recordsBucket ? { records: store(options.recordsBucket) } : {}),
    auditSpool: new ObjectStoreAuditSpool(objects),
    notifier: lazyAdapter(async () => {
      const [{ SNSClient }, { SnsNotifier }] = await Promise.all([
        loadModule<typeof import('@aws-sdk/client-sns')>(snsSdk),
        loadModule<typeof import('./sns-notifier')>(snsNotifierModule),
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

/**
 * The stage's named broker tokens (`AwsContextOptions.tokens`): its broker's login from the
 * registry on Secrets Manager, and the cooldown gate in the database where there is one. The
 * token check, the checklists and the dashboard then prove each token exactly as the local stack
 * does. Angel One's calls name the first registered egress IP (see docs/RUNBOOK.md, "Static IP").
 */
export const withBrokerTokens: AwsContextPart = ({ options, config, instrument: i }) => {
  const tokens = options.tokens;
  if (!tokens) return {};
  const { broker } = tokens;
  const { stage, db } = options;
  let client: Promise<SecretsManagerClient> | undefined;
  const secrets = () =>
    (client ??= loadModule<typeof import('@aws-sdk/client-secrets-manager')>(
      secretsManagerSdk,
    ).then((m) => i(new m.SecretsManagerClient({ ...config, maxAttempts: 3 }))));
  const where = `Secrets Manager ${brokerSecretNames(stage, broker).prefix}/*`;
  const mode = TOKEN_LOGIN_MODES[broker];
  const login = lazyAdapter<BrokerTokenLogin>(
    async () => {
      const { tokenLogin } =
        await loadModule<typeof import('../../../common/tokens/token-login-registry')>(
          tokenLoginRegistryModule,
        );
      const built = tokenLogin(broker, {
        stage,
        secrets: { kind: 'aws', client: await secrets() },
        publicIp: options.settings?.registeredEgressIps?.[0],
      });
      // The IAM of the token check follows the contract's mode: a login that differs is refused.
      if (built.mode !== mode)
        throw new Error(`the ${broker} login is ${built.mode}, the contract says ${mode}`);
      return built;
    },
    { broker, mode, where },
  );
  return {
    tokens: {
      config: tokens,
      login,
      ...(db
        ? {
            gate: lazyAdapter<TokenGate>(async () => {
              const { PgTokenGate } =
                await loadModule<typeof import('../../../common/tokens/token-gate')>(
                  tokenGateModule,
                );
              return new PgTokenGate(db, stage);
            }),
          }
        : {}),
    },
  };
};

/** Every part: what the checklists (and so a resume's readiness check) look at. */
export const EVERY_CONTEXT_PART: readonly AwsContextPart[] = [
  withLogsAndAlarms,
  withDatabaseAdmin,
  withTargets,
  withBrokerTokens,
];

/** Every adapter: what the CLI, the dashboard and the scheduled functions work with. */
export function awsOpsContext(options: AwsContextOptions): OpsContext {
  return awsContext(options, ...EVERY_CONTEXT_PART);
}
