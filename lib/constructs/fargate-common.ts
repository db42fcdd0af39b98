import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** What a service needs to reach PostgreSQL. */
export interface DatabaseAccess {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly secret: secretsmanager.ISecret;
  readonly securityGroup: ec2.ISecurityGroup;
}

/** The container's own check: GET /health on its port, from inside the container. */
export function httpHealthCheck(port: number, startPeriod: Duration): ecs.HealthCheck {
  return {
    command: [
      'CMD',
      'node',
      '-e',
      `fetch('http://127.0.0.1:${port}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
    ],
    interval: Duration.seconds(15),
    timeout: Duration.seconds(5),
    retries: 3,
    startPeriod,
  };
}

/**
 * A service task role may read these secrets (identity policy only: a grant would edit the data
 * stack's key policy and tie that stack to this one; the key policy delegates to IAM).
 */
export function allowSecrets(
  role: iam.Role,
  secrets: readonly secretsmanager.ISecret[],
  key: kms.IKey,
): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadItsSecrets',
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resources: secrets.map((s) => s.secretArn),
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DecryptSecretsViaSecretsManager',
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(role).region}.amazonaws.com` },
      },
    }),
  );
}

/** The cdk-nag findings every service task definition of ours answers the same way: call it
 * after the containers are added (the execution role's policy appears with them). */
export function acknowledgeTaskDefinition(taskDefinition: ecs.FargateTaskDefinition): void {
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
}

/** PostgreSQL from this service; the rule lives in the service's stack, not the database's. */
export function allowDatabaseFrom(
  scope: Construct,
  id: string,
  from: ec2.ISecurityGroup,
  database: DatabaseAccess,
  serviceName: string,
): void {
  new ec2.CfnSecurityGroupIngress(scope, id, {
    groupId: database.securityGroup.securityGroupId,
    sourceSecurityGroupId: from.securityGroupId,
    ipProtocol: 'tcp',
    fromPort: database.port,
    toPort: database.port,
    description: `${serviceName} to PostgreSQL`,
  });
}

/** An ARM64 Linux Fargate task definition with this task role. */
export function armTaskDefinition(
  scope: Construct,
  props: { readonly cpu: number; readonly memoryMiB: number; readonly taskRole: iam.IRole },
): ecs.FargateTaskDefinition {
  const taskDefinition = new ecs.FargateTaskDefinition(scope, 'TaskDefinition', {
    cpu: props.cpu,
    memoryLimitMiB: props.memoryMiB,
    runtimePlatform: {
      cpuArchitecture: ecs.CpuArchitecture.ARM64,
      operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
    },
    taskRole: props.taskRole,
  });
  return taskDefinition;
}

/**
 * How our services run: private subnets, no public IP, new tasks up before old ones stop, a
 * failed deployment rolled back, no exec into the tasks.
 */
export function privateServiceOptions(securityGroup: ec2.ISecurityGroup) {
  return {
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    securityGroups: [securityGroup],
    assignPublicIp: false,
    minHealthyPercent: 100,
    maxHealthyPercent: 200,
    circuitBreaker: { enable: true, rollback: true },
    enableExecuteCommand: false,
    propagateTags: ecs.PropagatedTagSource.SERVICE,
  } satisfies Partial<ecs.FargateServiceProps>;
}
