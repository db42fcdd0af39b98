import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { AUDIT_SPOOL_PREFIX, type OperatorNames, RECORDS_PREFIX } from '../../contract/names';
import { type BrokerSecretSet, brokerSecretStatements } from './broker-secret-set';

/**
 * What one ops function may touch, beyond what every one of them gets (VPC interfaces, tracing,
 * its secrets, reading the flag pair, finding and describing the trading tasks and both
 * services, publishing to its topics); nothing unless said.
 */
export interface OpsReach {
  /** Write the kill flag and the flatten request. @default false */
  readonly writeParameters?: boolean;
  /** Scale and tag the trading service. @default false */
  readonly scaleService?: boolean;
  /** Object prefixes it writes (and reads back). @default none */
  readonly bucketPrefixes?: readonly string[];
  /** Object prefixes it only reads (the evening checklist reads the export's manifest). @default none */
  readonly readPrefixes?: readonly string[];
  /** The topics it publishes to. */
  readonly topics: ReadonlyArray<'page' | 'notify'>;
  /** Filter the service's logs, read the stage's alarms and the dashboard's targets. @default false */
  readonly readLogsAndAlarms?: boolean;
  /**
   * RDS: `describe` the instance, `snapshot` (create, wait), `prune` (delete ours), `restore`.
   * @default none
   */
  readonly database?: ReadonlyArray<'describe' | 'snapshot' | 'prune' | 'restore'>;
  /** Restart the dashboard and roll the trading service back (the admin function). @default false */
  readonly adminServices?: boolean;
  /**
   * It audits: rows the database cannot take are spooled under `audit-spool/` (written, listed,
   * read back and deleted once flushed into `control_audit`). @default false
   */
  readonly auditSpool?: boolean;
  /**
   * The records bucket: `write` creates objects under `records/` and reads them back (no
   * delete, no retention or legal-hold change); `read` only reads them. Both list the manifests.
   * @default none
   */
  readonly records?: 'write' | 'read';
  /**
   * The stage's broker secrets (`OpsReachTargets.brokerSecrets`): `read` the app credentials and
   * the named tokens (prove them, log them out); `renew` also writes the tokens (an unattended
   * login's renewal), never the app's. Nothing on the paper broker. @default none
   */
  readonly brokerSecrets?: 'read' | 'renew';
}

/** The resources a reach refers to: the same for every ops function of a stage. */
export interface OpsReachTargets {
  /** The stage's operator names (cluster, services, database, snapshots, alarm prefix). */
  readonly names: OperatorNames;
  /** The kill flag. */
  readonly flag: ssm.IStringParameter;
  /** The flatten request. */
  readonly flattenRequest: ssm.IStringParameter;
  /** Secrets every function reads (the database credentials, the control token). */
  readonly secrets: readonly secretsmanager.ISecret[];
  /** The data key: it encrypts the secrets and the bucket's objects. */
  readonly dataKey: kms.IKey;
  /** The ECS cluster (ListTasks is scoped to it by condition). */
  readonly cluster: ecs.ICluster;
  /** The trading service (described by all, scaled by `scaleService`). */
  readonly tradingService: ecs.IBaseService;
  /**
   * The data bucket, imported by name and without its key, so that its grants add no key
   * permission: the data key is allowed only through S3 (kms:ViaService).
   */
  readonly dataBucket: s3.IBucket;
  /** The records bucket (Object Lock), imported by name and without its key, as the data bucket. */
  readonly recordsBucket: s3.IBucket;
  /** The P1/P2 topic (`topics: ['page']`). */
  readonly pageTopic: sns.ITopic;
  /** The P3/P4 and reports topic (`topics: ['notify']`). */
  readonly notifyTopic: sns.ITopic;
  /** The topics' key (through SNS only). */
  readonly alertsKey: kms.IKey;
  /** The ECS services' log group (the checklists scan it for ERRORs). */
  readonly serviceLogGroup: logs.ILogGroup;
  /** The broker's secrets, encrypted with the data key; absent on the paper broker. */
  readonly brokerSecrets?: BrokerSecretSet;
}

/**
 * A Lambda execution role with exactly what `reach` says. `grant*` where a grant gives exactly
 * that; hand-written statements, scoped to the resource, where none does (each says why), with
 * the cdk-nag acknowledgements their wildcards need.
 */
export function reachRole(
  scope: Construct,
  id: string,
  description: string,
  reach: OpsReach,
  targets: OpsReachTargets,
): iam.Role {
  const { names, dataBucket } = targets;
  const { bucketName } = dataBucket;
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  const add = (
    sid: string,
    actions: string[],
    resources: string[],
    conditions?: Record<string, unknown>,
  ) => role.addToPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
  const arn = (
    service: string,
    resource: string,
    resourceName: string,
    arnFormat = ArnFormat.SLASH_RESOURCE_NAME,
  ) => stack.formatArn({ service, resource, resourceName, arnFormat });

  // These actions have no resource type: AWS requires "*".
  add(
    'VpcNetworkInterfaces',
    [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ],
    ['*'],
  );
  add('Tracing', ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*']);
  // Hand-written: the secrets' grantRead would also add this role to the data key's policy in the
  // stateful data stack, which would then depend on this stack (a cycle).
  add(
    'ReadSecrets',
    ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    targets.secrets.map((secret) => secret.secretArn),
  );
  add('DecryptSecrets', ['kms:Decrypt'], [targets.dataKey.keyArn], {
    StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
  });

  if (reach.brokerSecrets && targets.brokerSecrets) {
    const statements = brokerSecretStatements(reach.brokerSecrets, targets.brokerSecrets, {
      dataKeyArn: targets.dataKey.keyArn,
      region: stack.region,
    });
    for (const statement of statements) role.addToPolicy(statement);
  }

  // Hand-written: grantRead/grantWrite would give each parameter its own statement and add
  // ssm:DescribeParameters, which takes no resource (dead on these ARNs). The pair is one unit.
  const parameterActions = ['ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory'];
  add(
    'KillFlagAndFlattenRequest',
    reach.writeParameters ? [...parameterActions, 'ssm:PutParameter'] : parameterActions,
    [targets.flag.parameterArn, targets.flattenRequest.parameterArn],
  );
  // ECS services, RDS and CloudWatch alarms have no grant methods: scoped statements below.
  add('FindTradingTasks', ['ecs:ListTasks'], ['*'], {
    ArnEquals: { 'ecs:cluster': targets.cluster.clusterArn },
  });
  add('DescribeTradingTasks', ['ecs:DescribeTasks'], [arn('ecs', 'task', `${names.cluster}/*`)]);
  const serviceActions = ['ecs:DescribeServices', 'ecs:ListTagsForResource'];
  add(
    'TradingService',
    reach.scaleService
      ? [...serviceActions, 'ecs:UpdateService', 'ecs:TagResource', 'ecs:UntagResource']
      : serviceActions,
    [targets.tradingService.serviceArn],
  );
  // The checklists and status look at the dashboard too; nothing here may change it.
  add(
    'DescribeDashboardService',
    ['ecs:DescribeServices'],
    [arn('ecs', 'service', `${names.cluster}/${names.dashboardService}`)],
  );
  if (reach.adminServices) {
    add(
      'RestartDashboard',
      ['ecs:UpdateService'],
      [arn('ecs', 'service', `${names.cluster}/${names.dashboardService}`)],
    );
    // ListTaskDefinitions has no resource type.
    add('ListRevisions', ['ecs:ListTaskDefinitions'], ['*']);
  }
  const objectArn = (p: string) => `arn:${stack.partition}:s3:::${bucketName}/${p}*`;
  const readPrefixes = reach.readPrefixes ?? [];
  const bucketPrefixes = reach.bucketPrefixes ?? [];
  // Hand-written: grantPut adds legal-hold, retention and tagging writes, grantRead adds s3:List*
  // and s3:GetBucket* on the whole bucket.
  if (bucketPrefixes.length) {
    add(
      'WriteReports',
      ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
      bucketPrefixes.map(objectArn),
    );
  }
  if (readPrefixes.length) add('ReadObjects', ['s3:GetObject'], readPrefixes.map(objectArn));
  if (reach.auditSpool) {
    // Object grants on the prefix only. grantRead and grantReadWrite would also give s3:List*
    // and s3:GetBucket* on the whole bucket; listing is allowed below for this prefix alone.
    const spooled = `${AUDIT_SPOOL_PREFIX}*`;
    dataBucket.grantPut(role, spooled);
    dataBucket.grantDelete(role, spooled);
    // No grant reads objects without listing the whole bucket, or lists with a prefix condition.
    add('ReadAuditSpool', ['s3:GetObject'], [dataBucket.arnForObjects(spooled)]);
    add('ListAuditSpool', ['s3:ListBucket'], [dataBucket.bucketArn], {
      StringLike: { 's3:prefix': spooled },
    });
  }
  const recordsObjects = targets.recordsBucket.arnForObjects(`${RECORDS_PREFIX}*`);
  if (reach.records) {
    // Hand-written: grantPut adds s3:PutObjectRetention and s3:PutObjectLegalHold (the records
    // keep the bucket's default retention) and grantRead lists the whole bucket.
    add(
      reach.records === 'write' ? 'WriteRecords' : 'ReadRecords',
      reach.records === 'write'
        ? ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload']
        : ['s3:GetObject'],
      [recordsObjects],
    );
    add('ListRecordManifests', ['s3:ListBucket'], [targets.recordsBucket.bucketArn], {
      StringLike: { 's3:prefix': `${RECORDS_PREFIX}manifests/*` },
    });
  }
  // The bucket is imported without its key (see OpsReachTargets.dataBucket): its grants give no
  // key permission, so the data key is allowed here, through S3 only.
  if (bucketPrefixes.length || readPrefixes.length || reach.auditSpool || reach.records) {
    add('EncryptReports', ['kms:GenerateDataKey', 'kms:Decrypt'], [targets.dataKey.keyArn], {
      StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
    });
  }
  const rds = reach.database ?? [];
  const dbArn = arn('rds', 'db', names.dbInstance, ArnFormat.COLON_RESOURCE_NAME);
  const ourSnapshots = arn(
    'rds',
    'snapshot',
    `${names.snapshotPrefix}*`,
    ArnFormat.COLON_RESOURCE_NAME,
  );
  const restoredDbs = arn(
    'rds',
    'db',
    `${names.dbInstance}-restored-*`,
    ArnFormat.COLON_RESOURCE_NAME,
  );
  if (rds.length) {
    add('DescribeDatabase', ['rds:DescribeDBInstances'], [dbArn]);
    // RDS publishes free storage only as a metric; GetMetricStatistics has no resource type.
    add('DatabaseMetrics', ['cloudwatch:GetMetricStatistics'], ['*']);
  }
  if (rds.includes('snapshot') || rds.includes('prune') || rds.includes('restore')) {
    add('DescribeSnapshots', ['rds:DescribeDBSnapshots'], [dbArn, ourSnapshots]);
  }
  if (rds.includes('snapshot'))
    // The snapshot is tagged as it is created: that needs AddTagsToResource on it.
    add(
      'CreateSnapshots',
      ['rds:CreateDBSnapshot', 'rds:AddTagsToResource'],
      [dbArn, ourSnapshots],
    );
  if (rds.includes('prune')) add('DeleteOwnSnapshots', ['rds:DeleteDBSnapshot'], [ourSnapshots]);
  if (rds.includes('restore')) {
    add(
      'RestoreToNewInstance',
      ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:AddTagsToResource'],
      [
        ourSnapshots,
        restoredDbs,
        arn('rds', 'subgrp', '*', ArnFormat.COLON_RESOURCE_NAME),
        arn('rds', 'pg', '*', ArnFormat.COLON_RESOURCE_NAME),
        arn('rds', 'og', '*', ArnFormat.COLON_RESOURCE_NAME),
      ],
    );
  }
  // Hand-written: grantPublish on an encrypted topic also grants its key without kms:ViaService.
  add(
    'Publish',
    ['sns:Publish'],
    reach.topics.map((t) =>
      t === 'page' ? targets.pageTopic.topicArn : targets.notifyTopic.topicArn,
    ),
  );
  add('EncryptNotifications', ['kms:GenerateDataKey*', 'kms:Decrypt'], [targets.alertsKey.keyArn], {
    StringEquals: { 'kms:ViaService': `sns.${stack.region}.amazonaws.com` },
  });
  if (reach.readLogsAndAlarms) {
    targets.serviceLogGroup.grant(role, 'logs:FilterLogEvents');
    add(
      'ReadStageAlarms',
      ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'],
      [arn('cloudwatch', 'alarm', `${names.prefix}-*`, ArnFormat.COLON_RESOURCE_NAME)],
    );
    // The dashboard's target health (alb-targets); Describe* has no resource-level permission.
    add(
      'ReadDashboardTargets',
      ['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth'],
      ['*'],
    );
  }
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (policy) {
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const nag = (resource: string) =>
      `AwsSolutions-IAM5[Resource::${resource.replaceAll('<ACCOUNT>', account)}]`;
    const findings: Array<[string, string]> = [
      [
        'AwsSolutions-IAM5[Resource::*]',
        'ec2 network-interface, X-Ray, ecs:ListTasks, ecs:ListTaskDefinitions, cloudwatch:GetMetricStatistics and the elasticloadbalancing Describe calls have no resource type; ListTasks is scoped to the cluster by the ecs:cluster condition.',
      ],
      [
        nag(`arn:${stack.partition}:ecs:${stack.region}:<ACCOUNT>:task/${names.cluster}/*`),
        'Tasks of this cluster only; task ids are not known in advance.',
      ],
      ...[
        ...bucketPrefixes,
        ...readPrefixes,
        ...(reach.auditSpool ? [AUDIT_SPOOL_PREFIX] : []),
      ].map((p): [string, string] => [
        nag(`arn:${stack.partition}:s3:::${bucketName.replace(stack.account, '<ACCOUNT>')}/${p}*`),
        `Objects under ${p} only.`,
      ]),
      ...(rds.length > 1
        ? [
            [
              nag(
                `arn:${stack.partition}:rds:${stack.region}:<ACCOUNT>:snapshot:${names.snapshotPrefix}*`,
              ),
              'This stage backup snapshots only (algo-trading-<stage>-backup-<YYYYMMDD>).',
            ] as [string, string],
          ]
        : []),
      ...(rds.includes('restore')
        ? (
            [
              [
                `db:${names.dbInstance}-restored-*`,
                'Restores only create new instances named <db>-restored-*.',
              ],
              [
                'subgrp:*',
                'A restore names the live instance subnet group, known only after deploy.',
              ],
              ['pg:*', 'A restore names the live instance parameter group.'],
              ['og:*', 'A restore uses the default option group of the engine.'],
            ] as Array<[string, string]>
          ).map(([r, why]): [string, string] => [
            nag(`arn:${stack.partition}:rds:${stack.region}:<ACCOUNT>:${r}`),
            why,
          ])
        : []),
      [
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'SNS needs GenerateDataKey* on the topic key, and only through SNS (kms:ViaService).',
      ],
    ];
    if (reach.auditSpool) {
      findings.push(
        [
          'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
          'grantDelete on audit-spool/* only: a spooled audit row is deleted once it is in control_audit.',
        ],
        [
          'AwsSolutions-IAM5[Action::s3:Abort*]',
          'grantPut on audit-spool/* only: aborting its own multipart uploads of spooled audit rows.',
        ],
      );
    }
    if (reach.records) {
      findings.push([
        nag(
          `arn:${stack.partition}:s3:::${targets.recordsBucket.bucketName.replace(stack.account, '<ACCOUNT>')}/${RECORDS_PREFIX}*`,
        ),
        'Objects under records/ of the records bucket only: one per kind and day, keys not known in advance.',
      ]);
    }
    if (reach.readLogsAndAlarms) {
      findings.push([
        nag(`arn:${stack.partition}:cloudwatch:${stack.region}:<ACCOUNT>:alarm:${names.prefix}-*`),
        'Alarms of this stage only.',
      ]);
    }
    for (const [id, reason] of findings) Validations.of(policy).acknowledge({ id, reason });
  }
  return role;
}
