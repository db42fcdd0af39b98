import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { LIVE_CONFIRMATION } from '../config/names';
import type { RiskLimits } from '../config/risk-limits';

/** The port the trading service listens on, in every environment. */
export const TRADING_PORT = 8000;

export interface TradingFargateServiceProps {
  readonly cluster: ecs.ICluster;
  /** `algo-trading-<stage>-trading`. */
  readonly serviceName: string;
  readonly stage: string;
  readonly mode: 'PAPER' | 'LIVE';
  readonly image: ecs.ContainerImage;
  /** `/aws/ecs/algo-trading-<stage>`; the stream prefix is `trading`. */
  readonly logGroup: logs.ILogGroup;
  readonly flag: ssm.IStringParameter;
  readonly flattenRequest: ssm.IStringParameter;
  readonly database: {
    readonly host: string;
    readonly port: number;
    readonly name: string;
    readonly secret: secretsmanager.ISecret;
    readonly securityGroup: ec2.ISecurityGroup;
  };
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
}

/**
 * The trading service on Fargate (ARM64) in the private subnets: one Cloud Map name for callers
 * inside the VPC, the deployment circuit breaker with rollback, a 120 s stop timeout for the
 * SIGTERM halt, and a task role that may read only its flag, its flatten request and its
 * secrets. Metrics leave as EMF in its logs, which need no IAM of the task.
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
    // Identity policy only: a grant would edit the data stack's key policy and tie that stack to
    // this one. The key policy delegates to IAM, so this is enough.
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadItsSecrets',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [props.database.secret.secretArn, props.controlToken.secretArn],
      }),
    );
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptSecretsViaSecretsManager',
        actions: ['kms:Decrypt'],
        resources: [props.secretsKey.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com`,
          },
        },
      }),
    );

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
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
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${TRADING_PORT}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
      environment: {
        STAGE: props.stage,
        MODE: props.mode,
        PORT: String(TRADING_PORT),
        DB_HOST: props.database.host,
        DB_PORT: String(props.database.port),
        DB_NAME: props.database.name,
        DB_SECRET_ARN: props.database.secret.secretArn,
        CONTROL_TOKEN_SECRET_ARN: props.controlToken.secretArn,
        RISK_LIMITS: JSON.stringify(props.risk),
        FLAG_MAX_STALENESS_SECONDS: String(props.flagMaxStalenessSeconds),
        BROKER_TOKEN_NAMES: props.brokerTokens.join(','),
        PARAMETER_STORE: 'ssm',
        SESSION_CLOCK: 'nse',
        METRICS_EMF: 'true',
        ...(props.mode === 'LIVE' ? { LIVE_CONFIRMATION } : {}),
      },
    });
    const executionPolicy = taskDefinition.executionRole?.node.tryFindChild('DefaultPolicy');
    if (executionPolicy) {
      Validations.of(executionPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecr:GetAuthorizationToken has no resource type: AWS only allows "*" for it. Image pulls are scoped to the asset repository.',
      });
    }
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds configuration and secret ARNs only; the secrets themselves are read at run time so that rotation needs no redeploy.',
    });

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
    // The rule lives in this stack (the database's stack must not depend on the services).
    new ec2.CfnSecurityGroupIngress(this, 'DatabaseFromTrading', {
      groupId: props.database.securityGroup.securityGroupId,
      sourceSecurityGroupId: this.securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: props.database.port,
      toPort: props.database.port,
      description: `${props.serviceName} to PostgreSQL`,
    });

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: props.serviceName,
      cluster: props.cluster,
      taskDefinition,
      desiredCount: props.desiredCount,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      assignPublicIp: false,
      // New tasks start before old ones stop; strategy leases keep them from trading twice.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      cloudMapOptions: { name: 'trading', containerPort: TRADING_PORT },
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
  }
}
