import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RECORDS_PREFIX } from '../../contract/names';
import { kmsBucketBaseline } from './data-bucket';

export interface RecordsBucketProps {
  /** `algo-trading-<stage>-records-<account>` (operator contract). */
  readonly bucketName: string;
  readonly encryptionKey: kms.IKey;
  /** Object Lock default retention (COMPLIANCE) of every object version, in days. */
  readonly retentionDays: number;
  /** records/: to Glacier Instant Retrieval after this many days. */
  readonly glacierInstantRetrievalAfterDays: number;
  /** records/: deleted after this many days (S3 refuses it while a version is retained). */
  readonly expireAfterDays: number;
  /** Where the server access logs go (the data bucket's access-log bucket). */
  readonly accessLogsBucket: s3.IBucket;
}

/** Logical ID of the records bucket, pinned: a change would replace the bucket. */
export const RECORDS_BUCKET_LOGICAL_ID = 'RecordsBucket';

/**
 * The five-year records: a bucket of its own because Object Lock applies to a whole bucket (the
 * data bucket's audit spool deletes what it flushed) and CloudFormation cannot turn it on for an
 * existing bucket without replacing it. COMPLIANCE mode: no one, the root user included, deletes
 * or shortens the retention of an object version before it ends. Versioned (Object Lock needs
 * it), SSE-KMS, TLS-only, never deleted with the stack; old records move to Glacier Instant
 * Retrieval, which `records verify` still reads without a restore.
 */
export class RecordsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: RecordsBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(
        Duration.days(props.retentionDays),
      ),
      ...kmsBucketBaseline(props.encryptionKey),
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'records-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'records',
          prefix: RECORDS_PREFIX,
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.glacierInstantRetrievalAfterDays),
            },
          ],
          expiration: Duration.days(props.expireAfterDays),
          noncurrentVersionExpiration: Duration.days(props.expireAfterDays),
          // An interrupted write leaves parts, never an object; clean the parts up.
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    (this.bucket.node.defaultChild as s3.CfnBucket).overrideLogicalId(RECORDS_BUCKET_LOGICAL_ID);
  }
}
