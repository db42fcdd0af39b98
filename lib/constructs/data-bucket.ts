import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * What every bucket of ours that holds the desk's data sets: SSE-KMS with the data key (bucket
 * keys on), no public access, TLS 1.2+ only, owner-enforced objects, versioned.
 */
export function kmsBucketBaseline(encryptionKey: kms.IKey) {
  return {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey,
    bucketKeyEnabled: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  } satisfies s3.BucketProps;
}

export interface DataBucketProps {
  /** `algo-trading-<stage>-data-<account>` or the configured override. */
  readonly bucketName: string;
  readonly encryptionKey: kms.IKey;
  /** exports/: to Infrequent Access after this many days. */
  readonly exportsInfrequentAccessAfterDays: number;
  /** exports/: deleted after this many days. */
  readonly exportsExpireAfterDays: number;
  /** backups/: to Glacier after this many days. */
  readonly backupsGlacierAfterDays: number;
  /** backups/: deleted after this many days. */
  readonly backupsExpireAfterDays: number;
  /** Overwritten or deleted object versions are kept this long. */
  readonly noncurrentVersionExpireAfterDays: number;
}

/** Logical ID of the data bucket, pinned: a change would replace the bucket. */
export const DATA_BUCKET_LOGICAL_ID = 'DataBucket';

/** The prefixes of the data bucket (operator contract). */
export const BUCKET_PREFIXES = ['reports/', 'exports/', 'backups/', 'incidents/'] as const;

/**
 * Reports, exports, backups and incident bundles: private, TLS-only, SSE-KMS, versioned, with
 * lifecycle rules per prefix and server access logs to a separate bucket.
 */
export class DataBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataBucketProps) {
    super(scope, id);

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging can only deliver to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log target; logging it to itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      ...kmsBucketBaseline(props.encryptionKey),
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'exports',
          prefix: 'exports/',
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.exportsInfrequentAccessAfterDays),
            },
          ],
          expiration: Duration.days(props.exportsExpireAfterDays),
        },
        {
          id: 'backups',
          prefix: 'backups/',
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER,
              transitionAfter: Duration.days(props.backupsGlacierAfterDays),
            },
          ],
          expiration: Duration.days(props.backupsExpireAfterDays),
        },
        {
          id: 'noncurrent-and-incomplete',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionExpireAfterDays),
          // An interrupted export leaves parts, never an object; clean the parts up.
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    (this.bucket.node.defaultChild as s3.CfnBucket).overrideLogicalId(DATA_BUCKET_LOGICAL_ID);
  }
}
