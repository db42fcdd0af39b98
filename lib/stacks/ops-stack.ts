import { CfnOutput, type CfnResource, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
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
import { TOKEN_LOGIN_MODES } from '../../contract/broker-tokens';
import type { OpsEnvironmentVariables } from '../../contract/lambda-environment';
import { ALARM_SLUGS } from '../../contract/metrics';
import {
  dataBucketName,
  operatorNames,
  opsDiscoveryParameter,
  recordsBucketName,
} from '../../contract/names';
import { OPERATOR_FUNCTIONS, type OperatorFunctionName } from '../../contract/operator-actions';
import {
  SCHEDULED_PROCEDURE_INFO,
  SCHEDULED_PROCEDURE_NAMES,
  type ScheduledProcedureName,
} from '../../contract/scheduled-procedures';
import { constructId } from '../config/construct-id';
import { stageTokenSet } from '../config/stage-config';
import type { BrokerSecretSet } from '../constructs/broker-secret-set';
import { type LambdaCodeFactory, OpsFunction } from '../constructs/ops-function';
import type { OpsReach, OpsReachTargets } from '../constructs/ops-reach';
import { retentionDays } from '../constructs/retention';
import type { TradingDatabase } from '../constructs/trading-database';
import { scheduledReach } from './scheduled-reach';
import { StageStack, type StageStackProps } from './stage-stack';

export interface OpsStackProps extends StageStackProps {
  readonly vpc: ec2.IVpc;
  /** The NAT gateways' Elastic IPs, comma-separated: the morning check proves them registered. */
  readonly egressIps: string;
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
  /**
   * The secrets of the stage's broker (the Trading stack's): the token check and the checklists
   * read exactly these. Required with a live broker. @default none (the paper broker)
   */
  readonly brokerSecrets?: BrokerSecretSet;
  /** @default esbuild bundling */
  readonly code?: LambdaCodeFactory;
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
    const recordsBucket = recordsBucketName(config.stage, this.account);

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

    const tokens = stageTokenSet(config);
    if (tokens && props.brokerSecrets?.broker !== tokens.broker)
      throw new Error(
        `the ${tokens.broker} broker's secrets are not given to the Ops stack: its token check would have nothing to read`,
      );
    // An unattended login (Angel One) is renewed by the token check, which then writes the tokens.
    const tokenCheckAccess =
      tokens && TOKEN_LOGIN_MODES[tokens.broker] === 'unattended' ? 'renew' : 'read';

    const environment: OpsEnvironmentVariables = {
      STAGE: config.stage,
      DATA_BUCKET: bucketName,
      RECORDS_BUCKET: recordsBucket,
      PAGE_TOPIC_ARN: props.pageTopic.topicArn,
      NOTIFY_TOPIC_ARN: props.notifyTopic.topicArn,
      DB_SECRET_ARN: props.database.secret.secretArn,
      DB_HOST: props.database.instance.dbInstanceEndpointAddress,
      DB_PORT: String(config.database.port),
      DB_NAME: names.dbName,
      CONTROL_TOKEN_SECRET_ARN: props.controlToken.secretArn,
      TWO_PERSON_RESUME: String(config.trading.twoPersonResume),
      READINESS_GATE: String(config.trading.readinessGate),
      MODE: config.mode,
      REGISTERED_EGRESS_IPS: config.network.registeredEgressIps.join(','),
      EGRESS_IPS: props.egressIps,
      BROKER_TOKENS: (tokens?.names ?? config.trading.brokerTokens).join(','),
      BROKER: config.broker,
      BROKER_TOKEN_SET: JSON.stringify(tokens ?? null),
      SNAPSHOT_RETENTION_DAYS: String(config.database.snapshotRetentionDays),
      SCHEDULES: JSON.stringify(config.schedules),
    };

    const reachTargets: OpsReachTargets = {
      names,
      flag: props.flag,
      flattenRequest: props.flattenRequest,
      secrets: [props.database.secret, props.controlToken],
      dataKey: props.dataKey,
      cluster: props.cluster,
      tradingService: props.tradingService,
      // Imported by name for its grants; without its key, so that the grants add no key
      // permission: the one S3 key statement allows the data key only through S3 (kms:ViaService).
      dataBucket: s3.Bucket.fromBucketName(this, 'DataBucket', bucketName),
      recordsBucket: s3.Bucket.fromBucketName(this, 'RecordsBucket', recordsBucket),
      pageTopic: props.pageTopic,
      notifyTopic: props.notifyTopic,
      alertsKey: props.alertsKey,
      serviceLogGroup: props.serviceLogGroup,
      brokerSecrets: props.brokerSecrets,
    };
    const make = (
      fnId: string,
      entry: string,
      description: string,
      reach: OpsReach,
      options: { timeout?: Duration; memorySize?: number; env?: Record<string, string> } = {},
    ) =>
      new OpsFunction(this, fnId, {
        entry,
        description,
        environment,
        extraEnvironment: options.env,
        memorySize: options.memorySize,
        vpc: props.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [this.securityGroup],
        reach,
        targets: reachTargets,
        logRetention: retentionDays(config.logRetentionDays),
        timeout: options.timeout ?? Duration.minutes(10),
        code: props.code,
      }).fn;

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
      // The readiness check proves the tokens the service trades and streams with.
      brokerSecrets: 'read',
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

    const reachOf = scheduledReach(tokenCheckAccess);
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
        reachOf[procedure.name],
        {
          // The backup waits for its snapshot; the export streams the day's trades.
          timeout: Duration.minutes(15),
          memorySize:
            procedure.name === 'trade-export' || procedure.name === 'records' ? 1024 : 512,
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
        description: `${procedure.name} at ${time} IST ${days}; the handler skips days the NSE calendar does not trade`,
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
        recordsBucket,
        cluster: names.cluster,
        ...(tokens ? { tokens } : {}),
        // Angel One's calls from the CLI name the desk's registered IP (it has no static IP).
        ...(config.network.registeredEgressIps.length
          ? { registeredEgressIps: config.network.registeredEgressIps }
          : {}),
      }),
    });
    new CfnOutput(this, 'EmergencyStopFunction', {
      value: this.emergencyStopAlias.functionArn,
      description: 'aws lambda invoke --function-name <this>: the warm alias of the emergency stop',
    });
  }
}
