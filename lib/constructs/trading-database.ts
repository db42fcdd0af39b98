import { type CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface TradingDatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Encrypts storage, the credentials secret and Performance Insights. */
  readonly encryptionKey: kms.IKey;
  /** `algo-trading-<stage>-db`: the runbooks address the instance by this name. */
  readonly instanceIdentifier: string;
  /** @default 'algotrading' */
  readonly databaseName: string;
  /** RDS class without `db.`, e.g. `t4g.medium`. */
  readonly instanceClass: string;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly multiAz: boolean;
  readonly backupRetentionDays: number;
  readonly port: number;
  readonly deletionProtection: boolean;
  readonly performanceInsights: boolean;
  readonly logRetention: logs.RetentionDays;
}

// Exported log type -> construct id of its log group.
const EXPORTED_LOGS = { postgresql: 'PostgresqlLogs', upgrade: 'UpgradeLogs' } as const;

/** Logical ID of the instance, pinned: a change would replace the database. */
export const DATABASE_LOGICAL_ID = 'TradingDatabase';

/**
 * RDS PostgreSQL 17 in isolated subnets: encrypted, TLS-only, IAM authentication on, credentials
 * in Secrets Manager rotated every 30 days, backups and snapshot on delete.
 */
export class TradingDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly secret: secretsmanager.ISecret;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: TradingDatabaseProps) {
    super(scope, id);
    const engine = rds.DatabaseInstanceEngine.postgres({
      version: rds.PostgresEngineVersion.VER_17,
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.instanceIdentifier}: PostgreSQL from the services and ops functions`,
      allowAllOutbound: false,
    });

    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: `${props.instanceIdentifier} parameters`,
      parameters: {
        'rds.force_ssl': '1',
        log_min_duration_statement: '500',
        log_lock_waits: '1',
        // An idle transaction holding locks stalls the order path; end it.
        idle_in_transaction_session_timeout: '60000',
      },
    });

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier: props.instanceIdentifier,
      engine,
      instanceType: new ec2.InstanceType(props.instanceClass),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.securityGroup],
      port: props.port,
      databaseName: props.databaseName,
      credentials: rds.Credentials.fromGeneratedSecret('algotrading_admin', {
        encryptionKey: props.encryptionKey,
      }),
      parameterGroup,
      storageType: rds.StorageType.GP3,
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      storageEncrypted: true,
      storageEncryptionKey: props.encryptionKey,
      multiAz: props.multiAz,
      backupRetention: Duration.days(props.backupRetentionDays),
      // 22:30 IST, after the evening checklist and the manual snapshot.
      preferredBackupWindow: '17:00-17:30',
      // Saturday 06:30 IST, inside the desk's maintenance window.
      preferredMaintenanceWindow: 'sat:01:00-sat:01:30',
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      iamAuthentication: true,
      enablePerformanceInsights: props.performanceInsights,
      performanceInsightEncryptionKey: props.performanceInsights ? props.encryptionKey : undefined,
      cloudwatchLogsExports: Object.keys(EXPORTED_LOGS),
      autoMinorVersionUpgrade: true,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
    });
    (this.instance.node.defaultChild as CfnResource).overrideLogicalId(DATABASE_LOGICAL_ID);
    // Owning the exported log groups sets their retention without the LogRetention custom
    // resource (a Lambda with a wildcard policy).
    for (const [log, groupId] of Object.entries(EXPORTED_LOGS)) {
      const group = new logs.LogGroup(this, groupId, {
        logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${log}`,
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.instance.node.addDependency(group);
    }

    this.secret = this.instance.secret as secretsmanager.ISecret;
    this.instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
  }
}
