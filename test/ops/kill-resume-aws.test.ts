import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTagsForResourceCommand,
  ListTasksCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  GetParameterHistoryCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { awsOpsContext } from '../../services/ops/platform/aws/aws-context';
import { EcsFleet } from '../../services/ops/platform/aws/ecs-fleet';
import type { OpsContext } from '../../services/ops/platform/ports';
import { DESIRED_COUNT_TAG, emergencyStop } from '../../services/ops/procedures/emergency-stop';
import { resume } from '../../services/ops/procedures/resume';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { entry, openPositions, startTradingFixture, TOKEN, type TradingFixture } from './support';

const ssm = mockClient(SSMClient);
const ecs = mockClient(ECSClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const logs = mockClient(CloudWatchLogsClient);
const cloudwatch = mockClient(CloudWatchClient);

const CLUSTER = 'algo-trading-prod-cluster';
const SERVICE = 'algo-trading-prod-trading';
const SERVICE_ARN = `arn:aws:ecs:ap-south-1:123456789012:service/${CLUSTER}/${SERVICE}`;
const FLAG = '/algo-trading/prod/trading_enabled';
const FLATTEN = '/algo-trading/prod/flatten_request';
const PAGE = 'arn:aws:sns:ap-south-1:123456789012:algo-trading-prod-page';
const NOTIFY = 'arn:aws:sns:ap-south-1:123456789012:algo-trading-prod-notify';

const awsError = (name: string, status: number) =>
  Object.assign(new Error(`${name} (mocked)`), { name, $metadata: { httpStatusCode: status } });

describe('kill and resume through the AWS adapters', () => {
  let db: TestDatabase;
  let trading: TradingFixture;
  let ctx: OpsContext;
  let calls: string[];
  let desired: number;
  let tags: Record<string, string>;

  /** Mocks answering like a healthy prod, each call logged in order. */
  function healthyAws(port: number) {
    const log = (call: string) => calls.push(call);
    ssm.on(GetParametersCommand).callsFake((input) => {
      log(`ssm:GetParameters ${input.Names?.join(',')}`);
      return {
        Parameters: [{ Name: FLAG, Value: 'true', Version: 4, LastModifiedDate: new Date() }],
        InvalidParameters: [],
      };
    });
    ssm.on(PutParameterCommand).callsFake((input) => {
      log(`ssm:PutParameter ${input.Name}`);
      return { Version: 5 };
    });
    ssm.on(GetParameterHistoryCommand).resolves({ Parameters: [] });
    ecs.on(ListTasksCommand).callsFake(() => {
      log('ecs:ListTasks');
      return { taskArns: ['arn:aws:ecs:ap-south-1:123456789012:task/c/task-1'] };
    });
    ecs.on(DescribeTasksCommand).callsFake(() => {
      log('ecs:DescribeTasks');
      return {
        tasks: [
          {
            taskArn: 'arn:aws:ecs:ap-south-1:123456789012:task/c/task-1',
            lastStatus: 'RUNNING',
            attachments: [{ details: [{ name: 'privateIPv4Address', value: '127.0.0.1' }] }],
          },
        ],
      };
    });
    ecs.on(DescribeServicesCommand).callsFake(() => {
      log('ecs:DescribeServices');
      return {
        services: [
          {
            serviceName: SERVICE,
            serviceArn: SERVICE_ARN,
            desiredCount: desired,
            runningCount: desired,
            pendingCount: 0,
            deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
          },
        ],
      };
    });
    ecs.on(ListTagsForResourceCommand).callsFake(() => {
      log('ecs:ListTagsForResource');
      return { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) };
    });
    ecs
      .on(TagResourceCommand)
      .callsFake((input: { tags?: Array<{ key?: string; value?: string }> }) => {
        log(`ecs:TagResource ${input.tags?.map((t) => `${t.key}=${t.value}`).join(',')}`);
        for (const t of input.tags ?? []) tags[t.key ?? ''] = t.value ?? '';
        return {};
      });
    ecs.on(UntagResourceCommand).callsFake((input) => {
      log(`ecs:UntagResource ${input.tagKeys?.join(',')}`);
      for (const k of input.tagKeys ?? []) delete tags[k];
      return {};
    });
    ecs.on(UpdateServiceCommand).callsFake((input) => {
      log(`ecs:UpdateService desiredCount=${input.desiredCount}`);
      desired = input.desiredCount ?? desired;
      return {};
    });
    s3.on(PutObjectCommand).callsFake((input) => {
      log(`s3:PutObject ${input.Key?.split('/').slice(0, 1).join('/')}/...`);
      return {};
    });
    sns.on(PublishCommand).callsFake((input) => {
      log(`sns:Publish ${input.TopicArn === PAGE ? 'page' : 'notify'}`);
      return { MessageId: 'm-1' };
    });
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    ctx = {
      ...awsOpsContext({
        stage: 'prod',
        source: 'lambda',
        region: 'ap-south-1',
        bucket: 'algo-trading-prod-data-123456789012',
        topics: { page: PAGE, notify: NOTIFY },
        db: db.pool,
        controlToken: async () => TOKEN,
        settings: {
          cancelConfirmTimeoutMs: 1000,
          verifyFlatTimeoutMs: 3000,
          stableTimeoutMs: 3000,
        },
      }),
      fleet: new EcsFleet(new ECSClient({ region: 'ap-south-1' }), CLUSTER, port),
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    };
  }

  beforeEach(async () => {
    db = await createTestDatabase();
    trading = await startTradingFixture({ url: db.url, flag: 'true' });
    await openPositions(trading, db.pool, [entry('INFY')]);
    calls = [];
    desired = 2;
    tags = {};
    healthyAws(Number(new URL(trading.url).port));
  });
  afterEach(async () => {
    for (const m of [ssm, ecs, s3, sns, logs, cloudwatch]) m.reset();
    await trading.stop();
    await db.close();
  });

  const order = (call: string) => calls.findIndex((c) => c.startsWith(call));

  it('kills in the designed order: flag, flatten request, tasks, scale, bundle, page', async () => {
    const result = await emergencyStop(ctx, {
      requestedBy: 'oncall',
      reason: 'drill',
      scaleToZero: true,
    });

    expect(result.outcome).toBe('OK');
    expect(calls.filter((c) => c.startsWith('ssm:PutParameter'))).toEqual([
      `ssm:PutParameter ${FLAG}`,
      `ssm:PutParameter ${FLATTEN}`,
    ]);
    expect(order(`ssm:PutParameter ${FLAG}`)).toBeLessThan(order(`ssm:PutParameter ${FLATTEN}`));
    expect(order(`ssm:PutParameter ${FLATTEN}`)).toBeLessThan(order('ecs:ListTasks'));
    expect(order('ecs:ListTasks')).toBeLessThan(order('ecs:TagResource'));
    expect(calls).toContain(`ecs:TagResource ${DESIRED_COUNT_TAG}=2`);
    expect(order('ecs:TagResource')).toBeLessThan(order('ecs:UpdateService desiredCount=0'));
    expect(order('ecs:UpdateService desiredCount=0')).toBeLessThan(order('s3:PutObject'));
    expect(order('s3:PutObject')).toBeLessThan(order('sns:Publish page'));
    expect(calls.filter((c) => c.startsWith('sns:Publish'))).toEqual(['sns:Publish page']);
    expect(trading.harness.internals.portfolio.openPositions()).toEqual([]);
    expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toEqual({
      Name: FLAG,
      Value: 'false',
      Type: 'String',
      Overwrite: true,
    });
  });

  it('retries a throttled flag write and succeeds', async () => {
    ssm
      .on(PutParameterCommand)
      .rejectsOnce(awsError('ThrottlingException', 400))
      .resolves({ Version: 6 });

    const result = await emergencyStop(ctx, {
      requestedBy: 'oncall',
      reason: 'drill',
      scaleToZero: false,
    });

    expect(result.steps.find((s) => s.name === 'flag')).toMatchObject({
      status: 'ok',
      attempts: 2,
    });
  });

  it.each([
    [
      'SSM access denied',
      () => ssm.on(PutParameterCommand).rejects(awsError('AccessDeniedException', 400)),
      ['flag', 'flatten-request'],
    ],
    [
      'ECS UpdateService failing',
      () => ecs.on(UpdateServiceCommand).rejects(awsError('ServiceNotActiveException', 400)),
      ['scale-to-zero'],
    ],
    [
      'S3 down',
      () => s3.on(PutObjectCommand).rejects(awsError('InternalError', 500)),
      ['incident-bundle'],
    ],
    [
      'SNS down',
      () => sns.on(PublishCommand).rejects(awsError('InternalErrorException', 500)),
      ['page'],
    ],
  ])(
    'with %s, the other steps still run and the failure is named',
    async (_name, fault, failing) => {
      fault();

      const result = await emergencyStop(ctx, {
        requestedBy: 'oncall',
        reason: 'drill',
        scaleToZero: true,
      });

      const failed = result.steps.filter((s) => s.status === 'failed').map((s) => s.name);
      expect(failed).toEqual(failing);
      expect(result.outcome).toBe('PARTIAL');
      expect(result.steps.find((s) => s.name === 'verify-flat')?.status).toBe('ok');
      expect(trading.harness.internals.portfolio.openPositions()).toEqual([]);
    },
  );

  it('with several faults at once, still flattens and reports each', async () => {
    ssm.on(PutParameterCommand).rejects(awsError('AccessDeniedException', 400));
    ecs.on(UpdateServiceCommand).rejects(awsError('ClientException', 400));
    s3.on(PutObjectCommand).rejects(awsError('InternalError', 500));

    const result = await emergencyStop(ctx, {
      requestedBy: 'oncall',
      reason: 'drill',
      scaleToZero: true,
    });

    expect(result.steps.filter((s) => s.status === 'failed').map((s) => s.name)).toEqual([
      'flag',
      'flatten-request',
      'scale-to-zero',
      'incident-bundle',
    ]);
    expect(result.steps.find((s) => s.name === 'flag')?.error).toMatch(/AccessDeniedException/);
    expect(result.steps.find((s) => s.name === 'page')?.status).toBe('ok');
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message).toMatch(/FAILED\s+flag/);
    expect(trading.harness.internals.portfolio.openPositions()).toEqual([]);
  });

  it('resumes in the designed order: restore, stable, checks, then the flag', async () => {
    await emergencyStop(ctx, { requestedBy: 'oncall', reason: 'drill', scaleToZero: true });
    await db.pool.query(
      `INSERT INTO checklist_runs (id, procedure, trading_day, started_at, finished_at, status, triggered_by)
       VALUES (gen_random_uuid(), 'morning-checklist', '2026-11-23', now(), now(), 'READY', 'test')`,
    );
    calls = [];
    const readiness = jest.fn();

    const result = await resume(ctx, { requestedBy: 'oncall', reason: 'all clear' }, readiness);

    expect(result.outcome).toBe('OK');
    expect(readiness).not.toHaveBeenCalled();
    expect(order('ecs:ListTagsForResource')).toBeLessThan(
      order('ecs:UpdateService desiredCount=2'),
    );
    expect(order('ecs:UpdateService desiredCount=2')).toBeLessThan(
      order(`ecs:UntagResource ${DESIRED_COUNT_TAG}`),
    );
    expect(order(`ecs:UntagResource ${DESIRED_COUNT_TAG}`)).toBeLessThan(
      order(`ssm:PutParameter ${FLAG}`),
    );
    expect(calls.filter((c) => c.startsWith('ssm:PutParameter'))).toEqual([
      `ssm:PutParameter ${FLAG}`,
    ]);
    expect(ssm.commandCalls(PutParameterCommand).at(-1)?.args[0].input).toMatchObject({
      Name: FLAG,
      Value: 'true',
    });
    expect(order(`ssm:PutParameter ${FLAG}`)).toBeLessThan(order('sns:Publish notify'));
  });

  it('does not touch the flag when a resume is refused', async () => {
    await db.pool.query(
      `INSERT INTO service_controls (name, active, detail, updated_by) VALUES ('risk_halt', true, '{"reason":"DAILY_LOSS_STOP: -2.6%"}', 'task-a')`,
    );

    const result = await resume(ctx, { requestedBy: 'oncall', reason: 'all clear' }, jest.fn());

    expect(result).toMatchObject({
      outcome: 'REFUSED',
      refusals: [expect.stringContaining('HARD_HALT is active (DAILY_LOSS_STOP: -2.6%)')],
    });
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });
});
