import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { StageTokens } from '../../contract/broker-tokens';
import { type BrokerSecretSet, brokerSecretStatements } from './broker-secret-set';
import {
  acknowledgeTaskDefinition,
  allowDatabaseFrom,
  allowSecrets,
  armTaskDefinition,
  type DatabaseAccess,
  httpHealthCheck,
  privateServiceOptions,
} from './fargate-common';

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
  readonly database: DatabaseAccess;
  readonly secretsKey: kms.IKey;
  /** The ALB that signs the users' identity. */
  readonly loadBalancerArn: string;
  readonly bucketName: string;
  readonly topics: { readonly page: string; readonly notify: string };
  readonly desiredCount: number;
  readonly cpu: number;
  readonly memoryMiB: number;
  /**
   * The stage's named tokens at its broker and their secrets: the token card proves each token
   * (read only, exactly these secrets). @default none (the paper broker)
   */
  readonly brokerTokens?: {
    readonly set: StageTokens;
    readonly secrets: BrokerSecretSet;
    /** The egress IPs registered with the broker (Angel One's calls name the first). */
    readonly registeredEgressIps: readonly string[];
  };
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
    // Its own database secret only: no control token (its buttons go through the ops functions).
    allowSecrets(this.taskRole, [props.database.secret], props.secretsKey);
    if (props.brokerTokens) {
      const statements = brokerSecretStatements('read', props.brokerTokens.secrets, {
        dataKeyArn: props.secretsKey.keyArn,
        region: stack.region,
      });
      for (const statement of statements) this.taskRole.addToPolicy(statement);
    }
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

    const taskDefinition = armTaskDefinition(this, {
      cpu: props.cpu,
      memoryMiB: props.memoryMiB,
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
      healthCheck: httpHealthCheck(DASHBOARD_PORT, Duration.seconds(30)),
      environment: {
        STAGE: props.stage,
        PORT: String(DASHBOARD_PORT),
        DB_HOST: props.database.host,
        DB_PORT: String(props.database.port),
        DB_NAME: props.database.name,
        DB_SECRET_ARN: props.database.secret.secretArn,
        ALB_ARN: props.loadBalancerArn,
        DATA_BUCKET: props.bucketName,
        PAGE_TOPIC_ARN: props.topics.page,
        NOTIFY_TOPIC_ARN: props.topics.notify,
        BROKER_TOKEN_SET: JSON.stringify(props.brokerTokens?.set ?? null),
        ...(props.brokerTokens
          ? { REGISTERED_EGRESS_IPS: props.brokerTokens.registeredEgressIps.join(',') }
          : {}),
      },
    });
    acknowledgeTaskDefinition(taskDefinition);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: `${props.serviceName}: from the load balancer only`,
      allowAllOutbound: true,
    });
    allowDatabaseFrom(
      this,
      'DatabaseFromDashboard',
      this.securityGroup,
      props.database,
      props.serviceName,
    );

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: props.serviceName,
      cluster: props.cluster,
      taskDefinition,
      desiredCount: props.desiredCount,
      ...privateServiceOptions(this.securityGroup),
    });
  }
}
