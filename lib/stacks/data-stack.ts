import { ArnFormat, CfnOutput, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { dataBucketName, operatorNames, recordsBucketName } from '../../contract/names';
import { DataBucket } from '../constructs/data-bucket';
import { RecordsBucket } from '../constructs/records-bucket';
import { retentionDays } from '../constructs/retention';
import { TradingDatabase } from '../constructs/trading-database';
import { StageStack, type StageStackProps } from './stage-stack';

export interface DataStackProps extends StageStackProps {
  readonly vpc: ec2.IVpc;
}

/** Logical ID of the data key, pinned: a new key could not decrypt old data. */
export const DATA_KEY_LOGICAL_ID = 'DataKey';

/**
 * Stateful resources: the KMS key, RDS PostgreSQL and the data bucket. Termination protection in
 * prod; nothing here is deleted with the stack.
 */
export class DataStack extends StageStack {
  readonly key: kms.Key;
  readonly database: TradingDatabase;
  readonly bucket: s3.Bucket;
  /** The five-year records (Object Lock, COMPLIANCE). */
  readonly recordsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = operatorNames(config.stage);

    this.key = new kms.Key(this, 'Key', {
      alias: `alias/${names.prefix}-data`,
      description: `${names.prefix}: RDS, secrets, data bucket, service logs`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.key.node.defaultChild as kms.CfnKey).overrideLogicalId(DATA_KEY_LOGICAL_ID);
    // The service log group lives in the trading stack; naming it here avoids a stack cycle.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ServiceLogGroupEncryption',
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: [
          'kms:Encrypt*',
          'kms:Decrypt*',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
          'kms:Describe*',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': this.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: `${names.logGroup}*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    this.database = new TradingDatabase(this, 'Database', {
      vpc: props.vpc,
      encryptionKey: this.key,
      instanceIdentifier: names.dbInstance,
      databaseName: names.dbName,
      instanceClass: config.database.instanceClass,
      allocatedStorageGiB: config.database.allocatedStorageGiB,
      maxAllocatedStorageGiB: config.database.maxAllocatedStorageGiB,
      multiAz: config.database.multiAz,
      backupRetentionDays: config.database.backupRetentionDays,
      port: config.database.port,
      deletionProtection: config.database.deletionProtection,
      performanceInsights: config.database.performanceInsights,
      logRetention: retentionDays(config.logRetentionDays),
    });
    if (!config.database.multiAz) {
      Validations.of(this.database.instance).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: `Stage ${config.stage} runs single-AZ to save cost; prod is Multi-AZ (stage config).`,
      });
    }
    if (!config.database.deletionProtection) {
      Validations.of(this.database.instance).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: `Stage ${config.stage} is disposable; prod has deletion protection (stage config).`,
      });
    }

    const storage = new DataBucket(this, 'Storage', {
      ...config.storage,
      bucketName: dataBucketName(config.stage, this.account, config.storage.bucketName),
      encryptionKey: this.key,
    });
    this.bucket = storage.bucket;
    this.recordsBucket = new RecordsBucket(this, 'Records', {
      ...config.records,
      bucketName: recordsBucketName(config.stage, this.account),
      encryptionKey: this.key,
      accessLogsBucket: storage.accessLogsBucket,
    }).bucket;

    new CfnOutput(this, 'DatabaseEndpoint', {
      value: this.database.instance.dbInstanceEndpointAddress,
    });
    new CfnOutput(this, 'DatabaseSecretArn', { value: this.database.secret.secretArn });
    new CfnOutput(this, 'DataBucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'RecordsBucketName', { value: this.recordsBucket.bucketName });
  }
}
