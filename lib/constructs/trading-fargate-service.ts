import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { TokenBroker } from '../../contract/broker-tokens';
import { LIVE_CONFIRMATION } from '../../contract/names';
import type { RiskLimits } from '../../contract/risk-limits';
import { TRADING_NODE_OPTIONS } from '../../contract/trading-runtime';
import {
  acknowledgeTaskDefinition,
  allowDatabaseFrom,
  allowSecrets,
  armTaskDefinition,
  type DatabaseAccess,
  httpHealthCheck,
  privateServiceOptions,
} from './fargate-common';

/** The port the trading service listens on, in every environment. */
export const TRADING_PORT = 8000;

/** Who the task trades through; a live broker brings the secrets the task reads (and only those). */
export type TradingBroker =
  | { readonly kind: 'paper' }
  | {
      readonly kind: TokenBroker;
      /** The app credentials of the session the task uses (`brokerSecretNames(...).app`). */
      readonly app: secretsmanager.ISecret;
      /** The session the task uses (`BROKER_TOKEN_NAME`). */
      readonly tokenName: string;
      /** `/algo-trading/<stage>/broker/<kind>/<tokenName>`. */
      readonly token: secretsmanager.ISecret;
      /** Angel One: the static IP its calls name (`ANGELONE_PUBLIC_IP`). */
      readonly publicIp?: string;
    };

export interface TradingFargateServiceProps {
  readonly cluster: ecs.ICluster;
  /** `algo-trading-<stage>-trading`. */
  readonly serviceName: string;
  readonly stage: string;
  readonly mode: 'PAPER' | 'LIVE';
  readonly broker: TradingBroker;
  readonly image: ecs.ContainerImage;
  /** `/aws/ecs/algo-trading-<stage>`; the stream prefix is `trading`. */
  readonly logGroup: logs.ILogGroup;
  readonly flag: ssm.IStringParameter;
  readonly flattenRequest: ssm.IStringParameter;
  readonly database: DatabaseAccess;
  /** Bearer token for the control endpoints (read at start). */
  readonly controlToken: secretsmanager.ISecret;
  /** The key both secrets are encrypted with. */
  readonly secretsKey: kms.IKey;
  readonly desiredCount: number;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly flagMaxStalenessSeconds: number;
  readonly risk: RiskLimits;
  readonly brokerTokens: readonly string[];
  /** Readers of the API inside the VPC (the control endpoints also need the token). */
  readonly vpcCidr: string;
  /** The P1 topic: the task pages itself when the broker refuses its token. */
  readonly pageTopic: sns.ITopic;
  /** The key the alert topics are encrypted with (publishing needs it, through SNS only). */
  readonly alertsKey: kms.IKey;
}

/**
 * The trading service on Fargate (ARM64) in the private subnets: one Cloud Map name for callers
 * inside the VPC, the deployment circuit breaker with rollback, a 120 s stop timeout for the
 * SIGTERM halt, and a task role that may read only its flag, its flatten request and its
 * secrets, and publish to the page topic. Metrics leave as EMF in its logs, which need no IAM of the task.
 */
export class TradingFargateService extends Construct {
  readonly service: ecs.FargateService;
  readonly taskRole: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  readonly container: ecs.ContainerDefinition;

  constructor(scope: Construct, id: string, props: TradingFargateServiceProps) {
    super(scope, id);

    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `${props.serviceName}: read its flag, flatten request and secrets`,
    });
    // GetParameters (one call for both) is what the service uses; nothing else of SSM.
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadKillFlagAndFlattenRequest',
        actions: ['ssm:GetParameters', 'ssm:GetParameter'],
        resources: [props.flag.parameterArn, props.flattenRequest.parameterArn],
      }),
    );
    allowSecrets(this.taskRole, [props.database.secret, props.controlToken], props.secretsKey);
    // Hand-written, as the ops functions' (ops-reach.ts): grantPublish on an encrypted topic would
    // also grant its key without kms:ViaService.
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PageOnBrokerTokenFailure',
        actions: ['sns:Publish'],
        resources: [props.pageTopic.topicArn],
      }),
    );
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptPagesViaSns',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.alertsKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `sns.${Stack.of(this).region}.amazonaws.com` },
        },
      }),
    );
    const { broker } = props;
    if (broker.kind !== 'paper') {
      // The secret store reads them by name; a new login is a new version, read without a restart.
      broker.app.grantRead(this.taskRole);
      broker.token.grantRead(this.taskRole);
    }

    const taskDefinition = armTaskDefinition(this, {
      cpu: props.cpu,
      memoryMiB: props.memoryMiB,
      taskRole: this.taskRole,
    });
    this.container = taskDefinition.addContainer('trading', {
      image: props.image,
      essential: true,
      readonlyRootFilesystem: true,
      user: 'node',
      stopTimeout: Duration.seconds(120),
      portMappings: [{ containerPort: TRADING_PORT, name: 'http' }],
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: 'trading' }),
      healthCheck: httpHealthCheck(TRADING_PORT, Duration.seconds(60)),
      environment: {
        STAGE: props.stage,
        MODE: props.mode,
        PORT: String(TRADING_PORT),
        NODE_OPTIONS: TRADING_NODE_OPTIONS,
        DB_HOST: props.database.host,
        DB_PORT: String(props.database.port),
        DB_NAME: props.database.name,
        DB_SECRET_ARN: props.database.secret.secretArn,
        CONTROL_TOKEN_SECRET_ARN: props.controlToken.secretArn,
        PAGE_TOPIC_ARN: props.pageTopic.topicArn,
        RISK_LIMITS: JSON.stringify(props.risk),
        FLAG_MAX_STALENESS_SECONDS: String(props.flagMaxStalenessSeconds),
        BROKER_TOKEN_NAMES: props.brokerTokens.join(','),
        PARAMETER_STORE: 'ssm',
        SESSION_CLOCK: 'nse',
        METRICS_EMF: 'true',
        BROKER: broker.kind,
        ...(broker.kind !== 'paper'
          ? { BROKER_SECRET_STORE: 'secrets-manager', BROKER_TOKEN_NAME: broker.tokenName }
          : {}),
        ...(broker.kind !== 'paper' && broker.publicIp
          ? { ANGELONE_PUBLIC_IP: broker.publicIp }
          : {}),
        ...(props.mode === 'LIVE' ? { LIVE_CONFIRMATION } : {}),
      },
    });
    acknowledgeTaskDefinition(taskDefinition);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: `${props.serviceName}: the control API from inside the VPC`,
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(
      ec2.Peer.ipv4(props.vpcCidr),
      ec2.Port.tcp(TRADING_PORT),
      'API from inside the VPC',
    );
    allowDatabaseFrom(
      this,
      'DatabaseFromTrading',
      this.securityGroup,
      props.database,
      props.serviceName,
    );

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: props.serviceName,
      cluster: props.cluster,
      taskDefinition,
      desiredCount: props.desiredCount,
      // New tasks start before old ones stop; strategy leases keep them from trading twice.
      ...privateServiceOptions(this.securityGroup),
      cloudMapOptions: { name: 'trading', containerPort: TRADING_PORT },
    });
  }
}
