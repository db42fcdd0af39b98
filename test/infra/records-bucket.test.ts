import { Match, Template } from 'aws-cdk-lib/assertions';
import { RECORDS_BUCKET_LOGICAL_ID } from '../../lib/constructs/records-bucket';
import { buildStage } from './synth';

type Statement = {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};

const RECORDS_OBJECTS = 'arn:aws:s3:::algo-trading-prod-records-123456789012/records/*';

describe('records bucket', () => {
  it.each([
    ['dev', 1, 30, 60],
    ['staging', 30, 30, 90],
    ['prod', 1827, 90, 2557],
  ] as const)(
    'locks %s records in COMPLIANCE mode for %i days, to Glacier IR after %i, expired after %i',
    (stage, retention, glacier, expire) => {
      const { stacks } = buildStage({ stage, account: '123456789012' });
      const data = Template.fromStack(stacks.data);

      data.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: `algo-trading-${stage}-records-123456789012`,
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: retention } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Id: 'records',
              Prefix: 'records/',
              Status: 'Enabled',
              Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: glacier }],
              ExpirationInDays: expire,
              NoncurrentVersionExpiration: { NoncurrentDays: expire },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            }),
          ],
        },
      });
    },
  );

  describe('prod', () => {
    const { stacks } = buildStage({ stage: 'prod', account: '123456789012' });
    const data = Template.fromStack(stacks.data);
    const ops = Template.fromStack(stacks.ops);

    it('pins its logical ID, keeps it on delete, encrypts with the data key and blocks public access', () => {
      const bucket = data.findResources('AWS::S3::Bucket')[RECORDS_BUCKET_LOGICAL_ID];

      expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(bucket?.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': ['DataKey', 'Arn'] },
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: expect.objectContaining({ LogFilePrefix: 'records-bucket/' }),
      });
    });

    it('denies requests without TLS and below TLS 1.2', () => {
      data.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: RECORDS_BUCKET_LOGICAL_ID },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            }),
          ]),
        },
      });
    });

    /** The statements of the role a function runs as. */
    const statementsOf = (prefix: string): Statement[] => {
      const entry = Object.entries(ops.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.startsWith(prefix),
      );
      if (!entry) throw new Error(`no function ${prefix}`);
      const roleId = entry[1].Properties.Role['Fn::GetAtt'][0];
      return Object.values(ops.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap((p) => p.Properties.PolicyDocument.Statement);
    };
    const onRecordsBucket = (statements: Statement[]) =>
      statements.filter((s) => JSON.stringify(s.Resource).includes('-records-'));

    it('lets the records function create and read back under records/ only: no delete, no retention change', () => {
      const statements = onRecordsBucket(statementsOf('RecordsFunction'));

      expect(statements).toEqual([
        {
          Sid: 'WriteRecords',
          Effect: 'Allow',
          Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
          Resource: RECORDS_OBJECTS,
        },
        {
          Sid: 'ListRecordManifests',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: 'arn:aws:s3:::algo-trading-prod-records-123456789012',
          Condition: { StringLike: { 's3:prefix': 'records/manifests/*' } },
        },
      ]);
      const actions = statementsOf('RecordsFunction').flatMap((s) => [s.Action].flat());
      expect(
        actions.filter((a) =>
          /^s3:(Delete|PutObjectRetention|PutObjectLegalHold|BypassGovernance|PutBucket)/.test(a),
        ),
      ).toEqual([]);
    });

    it('lets the evening checklist only read the records, and no other function reach them', () => {
      expect(
        onRecordsBucket(statementsOf('EveningChecklistFunction')).map((s) => [s.Sid, s.Action]),
      ).toEqual([
        ['ReadRecords', 's3:GetObject'],
        ['ListRecordManifests', 's3:ListBucket'],
      ]);
      for (const prefix of [
        'EmergencyStop',
        'Control',
        'TradeExportFunction',
        'DatabaseBackupFunction',
      ])
        expect(onRecordsBucket(statementsOf(prefix))).toEqual([]);
    });

    it('runs the records procedure at 16:10 IST every day (the handler consults the calendar), with the records bucket in its environment', () => {
      ops.hasResourceProperties('AWS::Scheduler::Schedule', {
        Name: 'algo-trading-prod-records',
        ScheduleExpression: 'cron(10 16 * * ? *)',
        ScheduleExpressionTimezone: 'Asia/Kolkata',
      });
      ops.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            PROCEDURE: 'records',
            RECORDS_BUCKET: 'algo-trading-prod-records-123456789012',
          }),
        },
      });
    });
  });
});
