import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { tradeopsInProcess } from '../support/tradeops';

const ssm = mockClient(SSMClient);
const lambda = mockClient(LambdaClient);
const ecs = mockClient(ECSClient);
const s3 = mockClient(S3Client);
const rds = mockClient(RDSClient);
const sns = mockClient(SNSClient);

const DISCOVERY = {
  region: 'ap-south-1',
  functions: { emergencyStop: 'es', resume: 'rs', control: 'ctl', admin: 'adm' },
  topics: { page: 'arn:page', notify: 'arn:notify' },
  bucket: 'algo-trading-prod-data-123456789012',
  cluster: 'algo-trading-prod-cluster',
};

/** The CLI in process, against ap-south-1. */
const tradeops = (...args: string[]) => tradeopsInProcess(...args, '--region', 'ap-south-1');

const awsError = (name: string, status: number) =>
  Object.assign(new Error(`${name} from the test`), {
    name,
    $metadata: { httpStatusCode: status },
  });

describe('tradeops when the ops Lambdas cannot be invoked', () => {
  beforeEach(() => {
    for (const m of [ssm, lambda, ecs, s3, rds, sns]) m.reset();
    ssm
      .on(GetParameterCommand, { Name: '/algo-trading/prod/ops' })
      .resolves({ Parameter: { Value: JSON.stringify(DISCOVERY) } });
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: 'algo-trading-prod-trading',
          desiredCount: 1,
          runningCount: 1,
          deployments: [
            { status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 1, desiredCount: 1 },
          ],
        },
      ],
    });
    const task = 'arn:aws:ecs:ap-south-1:123456789012:task/algo-trading-prod-cluster/task-1';
    ecs.on(ListTasksCommand).resolves({ taskArns: [task] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: task,
          lastStatus: 'RUNNING',
          attachments: [{ details: [{ name: 'privateIPv4Address', value: '10.0.3.7' }] }],
        },
      ],
    });
  });
  afterEach(() => {
    for (const m of [ssm, lambda, ecs, s3, rds, sns]) m.reset();
  });

  it('scale acts through ECS directly, spools its audit row to the bucket, and exits 1 naming it', async () => {
    // Arrange
    lambda.on(InvokeCommand).rejects(awsError('ServiceUnavailableException', 503));
    ecs.on(UpdateServiceCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});

    // Act
    const { code, err } = await tradeops(
      'scale',
      'prod',
      '--count',
      '2',
      '--reason',
      'lambda outage drill',
      '--yes',
    );

    // Assert
    expect(err).toContain('FALLING BACK');
    expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toMatchObject({
      service: 'algo-trading-prod-trading',
      desiredCount: 2,
    });
    const spooled = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(spooled).toEqual([
      expect.objectContaining({
        Bucket: DISCOVERY.bucket,
        Key: expect.stringMatching(/^audit-spool\/.+\.json$/),
      }),
    ]);
    expect(err).toMatch(
      /could not run from outside the VPC: audit \(audit deferred \(no database access from here\)/,
    );
    expect(code).toBe(1);
  });

  it('status shows the flag, the service and its tasks without the Lambda, and says what it could not', async () => {
    // Arrange
    lambda.on(InvokeCommand).rejects(awsError('AccessDeniedException', 403));
    ssm.on(GetParameterHistoryCommand).resolves({
      Parameters: [
        {
          Name: '/algo-trading/prod/trading_enabled',
          Value: 'false',
          Version: 7,
          LastModifiedDate: new Date('2026-11-23T04:00:00Z'),
          LastModifiedUser: 'arn:aws:iam::1:user/oncall',
        },
      ],
    });

    // Act
    const { code, out, err } = await tradeops('status', 'prod');

    // Assert
    expect(out).toMatch(/kill flag: "false" \(version 7/);
    expect(out).toMatch(/service: algo-trading-prod-trading 1\/1 running/);
    expect(out).toMatch(/task-1\s+UNREACHABLE/);
    expect(err).toMatch(/could not run from outside the VPC: task state of 1 task\(s\)/);
    expect(code).toBe(1);
  });
});

describe('tradeops backup when its function cannot be invoked', () => {
  const today = 'algo-trading-prod-backup-20261123';
  const old = 'algo-trading-prod-backup-20261001';
  const snapshot = (id: string, created: string) => ({
    DBSnapshotIdentifier: id,
    DBInstanceIdentifier: 'algo-trading-prod-db',
    Status: 'available',
    AllocatedStorage: 20,
    SnapshotCreateTime: new Date(created),
  });
  const notFound = () =>
    Object.assign(new Error(`DBSnapshot ${today} not found.`), {
      name: 'DBSnapshotNotFoundFault',
      $metadata: { httpStatusCode: 404 },
    });

  beforeEach(() => {
    for (const m of [ssm, lambda, ecs, s3, rds, sns]) m.reset();
    ssm.on(GetParameterCommand, { Name: '/algo-trading/prod/ops' }).resolves({
      Parameter: {
        Value: JSON.stringify({
          ...DISCOVERY,
          functions: { ...DISCOVERY.functions, scheduled: { 'database-backup': 'bk' } },
        }),
      },
    });
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).resolves({});
    rds.on(DeleteDBSnapshotCommand).resolves({});
    // The stage's manual snapshots, as pruning lists them.
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'algo-trading-prod-db' }).resolves({
      DBSnapshots: [snapshot(old, '2026-10-01T11:00:00Z'), snapshot(today, '2026-11-23T11:00:00Z')],
    });
  });
  afterEach(() => {
    for (const m of [ssm, lambda, ecs, s3, rds, sns]) m.reset();
  });

  it("takes the day's snapshot through RDS directly, verifies and prunes, and exits 1 naming what needs the VPC", async () => {
    // Arrange
    lambda.on(InvokeCommand).rejects(awsError('ServiceUnavailableException', 503));
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: today })
      .rejectsOnce(notFound())
      .resolves({ DBSnapshots: [snapshot(today, '2026-11-23T11:00:00Z')] });
    rds.on(CreateDBSnapshotCommand).resolves({});

    // Act
    const { code, out, err } = await tradeops('backup', 'prod', '--date', '2026-11-23');

    // Assert
    expect(err).toMatch(/could not invoke bk: ServiceUnavailableException[\s\S]*FALLING BACK/);
    expect(rds.commandCalls(CreateDBSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({
        DBInstanceIdentifier: 'algo-trading-prod-db',
        DBSnapshotIdentifier: today,
      }),
    ]);
    expect(out).toMatch(/PASS\s+verify\s+\d+ ms\s+algo-trading-prod-backup-20261123 available/);
    // prod keeps 30 days (its stage config), never today's snapshot.
    expect(rds.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { DBSnapshotIdentifier: old },
    ]);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: DISCOVERY.bucket,
      Key: 'reports/database-backup/2026-11-23.json',
    });
    expect(err).toMatch(/could not run from outside the VPC: report row in checklist_runs/);
    expect(code).toBe(1);
  });

  it("creates nothing when the day's snapshot already exists (a second run), and names a failed step", async () => {
    // Arrange: discovery and S3 are unreachable; the snapshot is there but failed.
    s3.on(PutObjectCommand).rejects(awsError('ServiceUnavailable', 503));
    ssm
      .on(GetParameterCommand, { Name: '/algo-trading/prod/ops' })
      .rejects(awsError('ThrottlingException', 400));
    rds.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: today }).resolves({
      DBSnapshots: [{ ...snapshot(today, '2026-11-23T11:00:00Z'), Status: 'failed' }],
    });

    // Act
    const { code, err } = await tradeops('backup', 'prod', '--date', '2026-11-23');

    // Assert
    expect(err).toMatch(/ops discovery failed: ThrottlingException/);
    expect(rds.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(err).toMatch(
      /could not run from outside the VPC: verify \(failed: .*20261123 is failed\)/,
    );
    expect(err).toMatch(/report delivery \(object store: ServiceUnavailable from the test\)/);
    expect(code).toBe(1);
  });

  it('does not run the backup again when its function ran and failed', async () => {
    // Arrange
    lambda.on(InvokeCommand).resolves({
      FunctionError: 'Unhandled',
      Payload: Buffer.from(
        JSON.stringify({ errorMessage: 'Task timed out after 900.00 seconds' }),
      ) as unknown as InvokeCommandOutput['Payload'],
    });

    // Act
    const { code, err } = await tradeops('backup', 'prod', '--date', '2026-11-23');

    // Assert
    expect(err).toMatch(/bk failed: Task timed out/);
    expect(err).not.toContain('FALLING BACK');
    expect(rds.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBSnapshotCommand)).toHaveLength(0);
    expect(code).toBe(1);
  });
});
