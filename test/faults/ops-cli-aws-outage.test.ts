import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { CliIo } from '../../scripts/tradeops/cli-support';
import { run } from '../../scripts/tradeops/main';

const ssm = mockClient(SSMClient);
const lambda = mockClient(LambdaClient);
const ecs = mockClient(ECSClient);
const s3 = mockClient(S3Client);

const DISCOVERY = {
  region: 'ap-south-1',
  functions: { emergencyStop: 'es', resume: 'rs', control: 'ctl', admin: 'adm' },
  topics: { page: 'arn:page', notify: 'arn:notify' },
  bucket: 'algo-trading-prod-data-123456789012',
  cluster: 'algo-trading-prod-cluster',
};

async function tradeops(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdin: { isTTY: false } as NodeJS.ReadStream,
  };
  const code = await run(['node', 'tradeops', ...args, '--region', 'ap-south-1'], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const awsError = (name: string, status: number) =>
  Object.assign(new Error(`${name} from the test`), {
    name,
    $metadata: { httpStatusCode: status },
  });

describe('tradeops when the ops Lambdas cannot be invoked', () => {
  beforeEach(() => {
    for (const m of [ssm, lambda, ecs, s3]) m.reset();
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
    for (const m of [ssm, lambda, ecs, s3]) m.reset();
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
