import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** The port the dashboard listens on, in every environment. */
export const DASHBOARD_PORT = 3000;

export interface DashboardServiceProps {
  readonly cluster: ecs.ICluster;
  /** `algo-trading-<stage>-dashboard`. */
  readonly serviceName: string;
  /** `algo-trading-<stage>-cluster`, by name: IAM resources readable in the policy. */
  readonly clusterName: string;
  /** `algo-trading-<stage>-trading`: the service whose tasks the pages read. */
  readonly tradingServiceName: string;
  /** `algo-trading-<stage>`: the alarms it may list. */
  readonly prefix: string;
  readonly stage: string;
  readonly image: ecs.ContainerImage;
  /** The shared service log group; the stream prefix is `dashboard`. */
  readonly logGroup: logs.ILogGroup;
  readonly flag: ssm.IStringParameter;
  /** `/algo-trading/<stage>/ops`: where the ops functions are named. */
  readonly discoveryParameterName: string;
  /** The functions behind the buttons: emergency stop, resume, control. */
  readonly controlFunctions: readonly lambda.IFunction[];
  readonly database: {
    readonly host: string;
    readonly port: number;
    readonly name: string;
    readonly secret: secretsmanager.ISecret;
    readonly securityGroup: ec2.ISecurityGroup;
  };
  readonly controlToken: secretsmanager.ISecret;
  readonly secretsKey: kms.IKey;
  /** The ALB that signs the users' identity. */
  readonly loadBalancerArn: string;
  readonly bucketName: string;
  readonly topics: { readonly page: string; readonly notify: string };
  readonly desiredCount: number;
  readonly cpu: number;
  readonly memoryMiB: number;
}

/**
 * The dashboard on Fargate (ARM64) in the private subnets, behind the ALB. Its task role reads
 * the flag's history, the task list, the alarms, its secrets and the discovery parameter, and
 * invokes only the functions behind its buttons: what the pages and the controls need, no more.
 */
export class DashboardService extends Construct {
  readonly service: ecs.FargateService;
  readonly taskRole: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DashboardServiceProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `${props.serviceName}: the pages' reads and the buttons' functions`,
    });
    const allow = (sid: string, actions: string[], resources: string[], conditions?: object) =>
      this.taskRole.addToPolicy(
        new iam.PolicyStatement({
          sid,
          actions,
          resources,
          conditions: conditions as Record<string, unknown> | undefined,
        }),
      );
    allow('FlagHistory', ['ssm:GetParameterHistory'], [props.flag.parameterArn]);
    allow(
      'OpsDiscovery',
      ['ssm:GetParameter'],
      [
        stack.formatArn({
          service: 'ssm',
          resource: 'parameter',
          resourceName: props.discoveryParameterName.replace(/^\//, ''),
        }),
      ],
    );
    allow(
      'InvokeTheButtonsFunctions',
      ['lambda:InvokeFunction'],
      props.controlFunctions.map((f) => f.functionArn),
    );
    allow('ListTradingTasks', ['ecs:ListTasks'], ['*'], {
      ArnEquals: { 'ecs:cluster': props.cluster.clusterArn },
    });
    const { clusterName } = props;
    allow(
      'DescribeTradingTasks',
      ['ecs:DescribeTasks'],
      [stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${clusterName}/*` })],
    );
    allow(
      'DescribeTradingService',
      ['ecs:DescribeServices'],
      [
        stack.formatArn({
          service: 'ecs',
          resource: 'service',
          resourceName: `${clusterName}/${props.tradingServiceName}`,
        }),
      ],
    );
    allow(
      'ReadStageAlarms',
      ['cloudwatch:DescribeAlarms'],
      [
        stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `${props.prefix}-*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    );
    allow(
      'ReadItsSecrets',
      ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      [props.database.secret.secretArn, props.controlToken.secretArn],
    );
    allow('DecryptSecretsViaSecretsManager', ['kms:Decrypt'], [props.secretsKey.keyArn], {
      StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
    });
    const policy = this.taskRole.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecs:ListTasks has no resource type; the ecs:cluster condition limits it to the stage cluster.',
      });
      const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${stack.partition}:ecs:${stack.region}:${account}:task/${clusterName}/*]`,
        reason: 'Tasks of the stage cluster; task ids are not known in advance.',
      });
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${stack.partition}:cloudwatch:${stack.region}:${account}:alarm:${props.prefix}-*]`,
        reason: "The stage's alarms, by their common prefix.",
      });
    }

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      taskRole: this.taskRole,
    });
    taskDefinition.addContainer('dashboard', {
      image: props.image,
      essential: true,
      readonlyRootFilesystem: true,
      user: 'node',
      stopTimeout: Duration.seconds(30),
      portMappings: [{ containerPort: DASHBOARD_PORT, name: 'http' }],
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: 'dashboard' }),
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${DASHBOARD_PORT}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      environment: {
        STAGE: props.stage,
        PORT: String(DASHBOARD_PORT),
        DB_HOST: props.database.host,
        DB_PORT: String(props.database.port),
        DB_NAME: props.database.name,
        DB_SECRET_ARN: props.database.secret.secretArn,
        CONTROL_TOKEN_SECRET_ARN: props.controlToken.secretArn,
        ALB_ARN: props.loadBalancerArn,
        DATA_BUCKET: props.bucketName,
        PAGE_TOPIC_ARN: props.topics.page,
        NOTIFY_TOPIC_ARN: props.topics.notify,
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
        'The environment holds configuration and secret ARNs only; the secrets are read at run time.',
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: `${props.serviceName}: from the load balancer only`,
      allowAllOutbound: true,
    });
    new ec2.CfnSecurityGroupIngress(this, 'DatabaseFromDashboard', {
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
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
  }
}
