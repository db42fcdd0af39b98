import {
  ArnFormat,
  CfnOutput,
  type CfnResource,
  Duration,
  Stack,
  TimeZone,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { OpsEnvironmentVariables } from '../../contract/lambda-environment';
import { ALARM_SLUGS } from '../../contract/metrics';
import {
  AUDIT_SPOOL_PREFIX,
  dataBucketName,
  operatorNames,
  opsDiscoveryParameter,
} from '../../contract/names';
import { OPERATOR_FUNCTIONS, type OperatorFunctionName } from '../../contract/operator-actions';
import {
  SCHEDULED_PROCEDURE_INFO,
  SCHEDULED_PROCEDURE_NAMES,
  type ScheduledProcedureName,
} from '../../contract/scheduled-procedures';
import { constructId } from '../config/construct-id';
import { type LambdaCodeFactory, OpsFunction } from '../constructs/ops-function';
import { retentionDays } from '../constructs/retention';
import type { TradingDatabase } from '../constructs/trading-database';
import { StageStack, type StageStackProps } from './stage-stack';

export interface OpsStackProps extends StageStackProps {
  readonly vpc: ec2.IVpc;
  readonly database: TradingDatabase;
  readonly dataKey: kms.IKey;
  readonly cluster: ecs.ICluster;
  readonly tradingService: ecs.IBaseService;
  readonly flag: ssm.IStringParameter;
  readonly flattenRequest: ssm.IStringParameter;
  readonly pageTopic: sns.ITopic;
  readonly notifyTopic: sns.ITopic;
  readonly alertsKey: kms.IKey;
  readonly controlToken: secretsmanager.ISecret;
  readonly serviceLogGroup: logs.ILogGroup;
  /** @default esbuild bundling */
  readonly code?: LambdaCodeFactory;
}

/** What one ops function may touch, beyond what every one of them gets; nothing unless said. */
interface Reach {
  readonly writeParameters?: boolean;
  readonly scaleService?: boolean;
  /** Objects it writes (and reads back). */
  readonly bucketPrefixes?: readonly string[];
  /** Objects it only reads (the evening checklist reads the export's manifest). */
  readonly readPrefixes?: readonly string[];
  readonly topics: ReadonlyArray<'page' | 'notify'>;
  readonly readLogsAndAlarms?: boolean;
  /** RDS: `describe` the instance, `snapshot` (create, wait), `prune` (delete ours), `restore`. */
  readonly database?: ReadonlyArray<'describe' | 'snapshot' | 'prune' | 'restore'>;
  /** Restart the dashboard and roll the trading service back (the admin function). */
  readonly adminServices?: boolean;
  /**
   * It audits: rows the database cannot take are spooled under `audit-spool/` (written, listed,
   * read back and deleted once flushed into `control_audit`).
   */
  readonly auditSpool?: boolean;
}

/** Names of the alarms whose ALARM state runs the emergency stop. */
export function autoKillAlarmNames(stage: string): string[] {
  return [`algo-trading-${stage}-${ALARM_SLUGS.dailyLossStop}`];
}

/**
 * The operations functions: the emergency stop, resume and the other control actions, in the
 * VPC next to the database and the service, each with a role scoped to what it touches. Auto-kill
 * alarms invoke the emergency stop through EventBridge.
 */
export class OpsStack extends StageStack {
  readonly emergencyStop: lambda.Function;
  /**
   * The emergency stop as everyone invokes it (the auto-kill rule, the CLI and the dashboard through
   * the discovery parameter): the alias that carries the stage's provisioned concurrency.
   */
  readonly emergencyStopAlias: lambda.Alias;
  readonly resume: lambda.Function;
  readonly control: lambda.Function;
  readonly admin: lambda.Function;
  /** The four above by their name in the operator-actions table (the emergency stop unaliased). */
  readonly operatorFunctions: Readonly<Record<OperatorFunctionName, lambda.Function>>;
  /** The function of each scheduled procedure. */
  readonly scheduled: Record<ScheduledProcedureName, lambda.Function>;
  /** Failed scheduled runs (after retries) and undeliverable schedules (the Monitoring stack pages). */
  readonly scheduleDeadLetters: sqs.Queue;
  /** Auto-kill events the emergency stop could not take (after retries): the Monitoring stack pages. */
  readonly autoKillDeadLetters: sqs.Queue;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: OpsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = operatorNames(config.stage);
    // Computed as the data stack computes it: no cross-stack reference, a readable IAM resource.
    const bucketName = dataBucketName(config.stage, this.account, config.storage.bucketName);
    // Imported by name for its grants; without its key, so that the grants add no key permission:
    // the one S3 key statement below allows the data key only through S3 (kms:ViaService).
    const dataBucket = s3.Bucket.fromBucketName(this, 'DataBucket', bucketName);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${names.prefix} ops functions: to PostgreSQL, the trading tasks and AWS APIs`,
      allowAllOutbound: true,
    });
    new ec2.CfnSecurityGroupIngress(this, 'DatabaseFromOps', {
      groupId: props.database.securityGroup.securityGroupId,
      sourceSecurityGroupId: this.securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: config.database.port,
      toPort: config.database.port,
      description: `${names.prefix} ops functions to PostgreSQL`,
    });

    const environment: OpsEnvironmentVariables = {
      STAGE: config.stage,
      DATA_BUCKET: bucketName,
      PAGE_TOPIC_ARN: props.pageTopic.topicArn,
      NOTIFY_TOPIC_ARN: props.notifyTopic.topicArn,
      DB_SECRET_ARN: props.database.secret.secretArn,
      DB_HOST: props.database.instance.dbInstanceEndpointAddress,
      DB_PORT: String(config.database.port),
      DB_NAME: names.dbName,
      CONTROL_TOKEN_SECRET_ARN: props.controlToken.secretArn,
      TWO_PERSON_RESUME: String(config.trading.twoPersonResume),
      READINESS_GATE: String(config.trading.readinessGate),
      REGISTERED_EGRESS_IPS: config.network.registeredEgressIps.join(','),
      BROKER_TOKENS: config.trading.brokerTokens.join(','),
      SNAPSHOT_RETENTION_DAYS: String(config.database.snapshotRetentionDays),
      SCHEDULES: JSON.stringify(config.schedules),
    };

    const make = (
      fnId: string,
      entry: string,
      description: string,
      reach: Reach,
      options: { timeout?: Duration; memorySize?: number; env?: Record<string, string> } = {},
    ) => {
      const role = this.role(fnId, props, reach, dataBucket);
      const opsFunction = new OpsFunction(this, fnId, {
        entry,
        description,
        environment,
        extraEnvironment: options.env,
        memorySize: options.memorySize,
        vpc: props.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [this.securityGroup],
        role,
        logRetention: retentionDays(config.logRetentionDays),
        timeout: options.timeout ?? Duration.minutes(10),
        code: props.code,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'OwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [opsFunction.logGroup.logGroupArn],
        }),
      );
      return opsFunction.fn;
    };

    // An operator function's construct id, handler and description: from the operator-actions table.
    const operator = (name: OperatorFunctionName): [string, string, string] => {
      const { slug, description } = OPERATOR_FUNCTIONS[name];
      return [constructId(slug), `lambdas/${slug}/handler.ts`, `${names.prefix}: ${description}`];
    };

    const readinessReach = {
      readLogsAndAlarms: true,
      bucketPrefixes: ['reports/'],
      database: ['describe'] as const,
    };
    this.emergencyStop = make(...operator('emergencyStop'), {
      writeParameters: true,
      scaleService: true,
      bucketPrefixes: ['incidents/'],
      topics: ['page'],
      readLogsAndAlarms: true,
      auditSpool: true,
    });
    // Provisioned concurrency lives on a version; the alias follows each deploy's new version, so
    // what callers invoke is always the current code, initialised before the alarm fires.
    const warm = config.ops.emergencyStopProvisionedConcurrency;
    this.emergencyStopAlias = new lambda.Alias(this, 'EmergencyStopLive', {
      aliasName: 'live',
      version: this.emergencyStop.currentVersion,
      description: 'What the auto-kill rule, the CLI and the dashboard invoke',
      provisionedConcurrentExecutions: warm > 0 ? warm : undefined,
    });
    this.resume = make(...operator('resume'), {
      ...readinessReach,
      writeParameters: true,
      scaleService: true,
      topics: ['notify', 'page'],
      auditSpool: true,
    });
    this.control = make(...operator('control'), {
      writeParameters: true,
      topics: ['notify'],
      auditSpool: true,
    });

    this.admin = make(
      ...operator('admin'),
      {
        scaleService: true,
        adminServices: true,
        topics: ['notify'],
        database: ['describe', 'restore'],
        auditSpool: true,
      },
      { timeout: Duration.minutes(15) },
    );
    this.operatorFunctions = {
      emergencyStop: this.emergencyStop,
      resume: this.resume,
      control: this.control,
      admin: this.admin,
    };

    this.scheduleDeadLetters = new sqs.Queue(this, 'ScheduleDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.scheduleDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the schedules and scheduled functions.',
    });

    const scheduledReach: Record<ScheduledProcedureName, Reach> = {
      'token-check': {
        bucketPrefixes: ['reports/'],
        topics: ['notify', 'page'],
      },
      'morning-checklist': {
        // The readiness gate keeps the flag false, audited.
        writeParameters: true,
        bucketPrefixes: ['reports/'],
        topics: ['notify', 'page'],
        readLogsAndAlarms: true,
        database: ['describe'],
        auditSpool: true,
      },
      'deadline-check': {
        bucketPrefixes: ['reports/'],
        topics: ['notify', 'page'],
      },
      'evening-checklist': {
        bucketPrefixes: ['reports/'],
        readPrefixes: ['exports/'],
        topics: ['notify', 'page'],
        readLogsAndAlarms: true,
        database: ['describe'],
      },
      'trade-export': {
        bucketPrefixes: ['exports/', 'reports/'],
        topics: ['notify', 'page'],
      },
      'database-backup': {
        bucketPrefixes: ['reports/'],
        topics: ['notify', 'page'],
        database: ['describe', 'snapshot', 'prune'],
      },
      maintenance: {
        bucketPrefixes: ['reports/'],
        topics: ['notify', 'page'],
        database: ['describe', 'snapshot'],
      },
    };
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: `${names.prefix} EventBridge Scheduler: invokes the scheduled procedures`,
    });
    const scheduled: Partial<Record<ScheduledProcedureName, lambda.Function>> = {};
    for (const name of SCHEDULED_PROCEDURE_NAMES) {
      const procedure = { name, ...SCHEDULED_PROCEDURE_INFO[name] };
      const fnId = constructId(procedure.name);
      const fn = make(
        fnId,
        'lambdas/scheduled/handler.ts',
        `${names.prefix}: ${procedure.name}: ${procedure.description}`,
        scheduledReach[procedure.name],
        {
          // The backup waits for its snapshot; the export streams the day's trades.
          timeout: Duration.minutes(15),
          memorySize: procedure.name === 'trade-export' ? 1024 : 512,
          env: { PROCEDURE: procedure.name },
        },
      );
      // A run that throws is retried twice by Lambda, then recorded here (and pages).
      fn.configureAsyncInvoke({
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        onFailure: new destinations.SqsDestination(this.scheduleDeadLetters),
      });
      const { time, days } = config.schedules[procedure.schedule];
      // `08:45` -> hour 8, minute 45: cron fields without leading zeros.
      const [hour, minute] = time.split(':').map((part) => String(Number(part)));
      new scheduler.Schedule(this, `${fnId}Schedule`, {
        scheduleName: `${names.prefix}-${procedure.name}`,
        description: `${procedure.name} at ${time} IST ${days}; the handler skips NSE holidays`,
        schedule: scheduler.ScheduleExpression.cron({
          minute,
          hour,
          ...(days === 'DAILY' ? {} : { weekDay: days }),
          timeZone: TimeZone.ASIA_KOLKATA,
        }),
        target: new schedulerTargets.LambdaInvoke(fn, {
          role: schedulerRole,
          input: scheduler.ScheduleTargetInput.fromObject({ requestedBy: 'scheduler' }),
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
          deadLetterQueue: this.scheduleDeadLetters,
        }),
      });
      scheduled[procedure.name] = fn;
    }
    this.scheduled = scheduled as Record<ScheduledProcedureName, lambda.Function>;
    const schedulerPolicy = schedulerRole.node.tryFindChild('DefaultPolicy');
    if (schedulerPolicy) {
      for (const fn of Object.values(this.scheduled)) {
        Validations.of(schedulerPolicy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(fn.node.defaultChild as CfnResource)}.Arn>:*]`,
          reason: 'grantInvoke also covers the versions of this one function.',
        });
      }
    }

    // Auto-kill: the alarms named here (the Monitoring stack's daily loss stop) run the emergency
    // stop; matched by name, so the alarms need no reference to this stack.

    this.autoKillDeadLetters = new sqs.Queue(this, 'AutoKillDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.autoKillDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the auto-kill rule.',
    });
    new events.Rule(this, 'AutoKillRule', {
      description:
        'An auto-kill alarm in ALARM runs the emergency stop, with the alarm name as the reason',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: autoKillAlarmNames(config.stage), state: { value: ['ALARM'] } },
      },
      targets: [
        new targets.LambdaFunction(this.emergencyStopAlias, {
          retryAttempts: 4,
          maxEventAge: Duration.minutes(15),
          deadLetterQueue: this.autoKillDeadLetters,
        }),
      ],
    });

    new ssm.StringParameter(this, 'Discovery', {
      parameterName: opsDiscoveryParameter(config.stage),
      description: 'Ops function names, topics and bucket, for the tradeops CLI and the dashboard',
      stringValue: Stack.of(this).toJsonString({
        region: this.region,
        functions: {
          // The alias ARN: invoking it reaches the provisioned (warm) environments.
          emergencyStop: this.emergencyStopAlias.functionArn,
          resume: this.resume.functionName,
          control: this.control.functionName,
          admin: this.admin.functionName,
          scheduled: Object.fromEntries(
            Object.entries(this.scheduled).map(([name, fn]) => [name, fn.functionName]),
          ),
        },
        topics: { page: props.pageTopic.topicArn, notify: props.notifyTopic.topicArn },
        bucket: bucketName,
        cluster: names.cluster,
      }),
    });
    new CfnOutput(this, 'EmergencyStopFunction', {
      value: this.emergencyStopAlias.functionArn,
      description: 'aws lambda invoke --function-name <this>: the warm alias of the emergency stop',
    });
  }

  /** A role with exactly what one function reaches. */
  private role(fnId: string, props: OpsStackProps, reach: Reach, dataBucket: s3.IBucket): iam.Role {
    const { bucketName } = dataBucket;
    const names = operatorNames(props.config.stage);
    const role = new iam.Role(this, `${fnId}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${names.prefix} ${fnId} function`,
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
    ) => this.formatArn({ service, resource, resourceName, arnFormat });

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
    add(
      'ReadSecrets',
      ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      [props.database.secret.secretArn, props.controlToken.secretArn],
    );
    add('DecryptSecrets', ['kms:Decrypt'], [props.dataKey.keyArn], {
      StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` },
    });

    const parameterActions = ['ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory'];
    add(
      'KillFlagAndFlattenRequest',
      reach.writeParameters ? [...parameterActions, 'ssm:PutParameter'] : parameterActions,
      [props.flag.parameterArn, props.flattenRequest.parameterArn],
    );
    add('FindTradingTasks', ['ecs:ListTasks'], ['*'], {
      ArnEquals: { 'ecs:cluster': props.cluster.clusterArn },
    });
    add('DescribeTradingTasks', ['ecs:DescribeTasks'], [arn('ecs', 'task', `${names.cluster}/*`)]);
    const serviceActions = ['ecs:DescribeServices', 'ecs:ListTagsForResource'];
    add(
      'TradingService',
      reach.scaleService
        ? [...serviceActions, 'ecs:UpdateService', 'ecs:TagResource', 'ecs:UntagResource']
        : serviceActions,
      [props.tradingService.serviceArn],
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
    const objectArn = (p: string) => `arn:${this.partition}:s3:::${bucketName}/${p}*`;
    const readPrefixes = reach.readPrefixes ?? [];
    const bucketPrefixes = reach.bucketPrefixes ?? [];
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
    if (bucketPrefixes.length || readPrefixes.length || reach.auditSpool) {
      add('EncryptReports', ['kms:GenerateDataKey', 'kms:Decrypt'], [props.dataKey.keyArn], {
        StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` },
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
    add(
      'Publish',
      ['sns:Publish'],
      reach.topics.map((t) =>
        t === 'page' ? props.pageTopic.topicArn : props.notifyTopic.topicArn,
      ),
    );
    add('EncryptNotifications', ['kms:GenerateDataKey*', 'kms:Decrypt'], [props.alertsKey.keyArn], {
      StringEquals: { 'kms:ViaService': `sns.${this.region}.amazonaws.com` },
    });
    if (reach.readLogsAndAlarms) {
      add('ReadServiceLogs', ['logs:FilterLogEvents'], [props.serviceLogGroup.logGroupArn]);
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
      const account = Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account;
      const nag = (resource: string) =>
        `AwsSolutions-IAM5[Resource::${resource.replaceAll('<ACCOUNT>', account)}]`;
      const findings: Array<[string, string]> = [
        [
          'AwsSolutions-IAM5[Resource::*]',
          'ec2 network-interface, X-Ray, ecs:ListTasks, ecs:ListTaskDefinitions, cloudwatch:GetMetricStatistics and the elasticloadbalancing Describe calls have no resource type; ListTasks is scoped to the cluster by the ecs:cluster condition.',
        ],
        [
          nag(`arn:${this.partition}:ecs:${this.region}:<ACCOUNT>:task/${names.cluster}/*`),
          'Tasks of this cluster only; task ids are not known in advance.',
        ],
        ...[
          ...bucketPrefixes,
          ...readPrefixes,
          ...(reach.auditSpool ? [AUDIT_SPOOL_PREFIX] : []),
        ].map((p): [string, string] => [
          nag(`arn:${this.partition}:s3:::${bucketName.replace(this.account, '<ACCOUNT>')}/${p}*`),
          `Objects under ${p} only.`,
        ]),
        ...(rds.length > 1
          ? [
              [
                nag(
                  `arn:${this.partition}:rds:${this.region}:<ACCOUNT>:snapshot:${names.snapshotPrefix}*`,
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
              nag(`arn:${this.partition}:rds:${this.region}:<ACCOUNT>:${r}`),
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
      if (reach.readLogsAndAlarms) {
        findings.push([
          nag(`arn:${this.partition}:cloudwatch:${this.region}:<ACCOUNT>:alarm:${names.prefix}-*`),
          'Alarms of this stage only.',
        ]);
      }
      for (const [id, reason] of findings) Validations.of(policy).acknowledge({ id, reason });
    }
    return role;
  }
}
