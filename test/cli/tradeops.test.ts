import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTagsForResourceCommand,
  ListTasksCommand,
  TagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  GetParameterCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { deployPlan } from '../../scripts/tradeops/deploy-commands';
import type { ProcedureResult } from '../../services/ops/steps/runner';
import { tradeopsInProcess as tradeops } from '../support/tradeops';

const ssm = mockClient(SSMClient);
const lambda = mockClient(LambdaClient);
const ecs = mockClient(ECSClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);

const DISCOVERY = {
  region: 'ap-south-1',
  functions: {
    emergencyStop: 'algo-trading-prod-emergency-stop',
    resume: 'algo-trading-prod-resume-trading',
    control: 'algo-trading-prod-control',
  },
  topics: {
    page: 'arn:aws:sns:ap-south-1:123456789012:algo-trading-prod-page',
    notify: 'arn:aws:sns:ap-south-1:123456789012:algo-trading-prod-notify',
  },
  bucket: 'algo-trading-prod-data-123456789012',
  cluster: 'algo-trading-prod-cluster',
};

/** Runs the CLI in process, as `tradeops <args>` on a terminal that is not interactive. */

const result = (outcome: ProcedureResult['outcome']): ProcedureResult => ({
  id: 'kill-20261123T093000-abcd',
  procedure: 'emergency-stop',
  stage: 'prod',
  requestedBy: 'oncall@desk',
  reason: 'drill',
  startedAt: '2026-11-23T04:00:00.000Z',
  finishedAt: '2026-11-23T04:00:04.000Z',
  outcome,
  steps: [
    { name: 'flag', status: 'ok', detail: 'true -> false', durationMs: 40, attempts: 1 },
    {
      name: 'verify-flat',
      status: outcome === 'OK' ? 'ok' : 'failed',
      detail: outcome === 'OK' ? '0 open positions' : 'residual: INFY 100',
      durationMs: 1200,
      attempts: 1,
    },
  ],
});

/** A Lambda response payload (the SDK's blob adapter is a Uint8Array with helpers the CLI does not use). */
const payload = (text: string) => Buffer.from(text) as unknown as InvokeCommandOutput['Payload'];

const invoked = () =>
  lambda.commandCalls(InvokeCommand).map((c) => ({
    fn: c.args[0].input.FunctionName,
    event: JSON.parse(Buffer.from(c.args[0].input.Payload as Uint8Array).toString('utf8')),
  }));

beforeEach(() => {
  for (const m of [ssm, lambda, ecs, s3, sns]) m.reset();
  ssm
    .on(GetParameterCommand, { Name: '/algo-trading/prod/ops' })
    .resolves({ Parameter: { Value: JSON.stringify(DISCOVERY) } });
});

describe('tradeops: bad usage exits 2 with the valid choices and touches nothing', () => {
  it.each([
    [['kill', 'qa', '--reason', 'drill', '--yes'], /Allowed choices are dev, staging, prod, local/],
    [['kill', 'prod', '--yes'], /required option '--reason <text>' not specified/],
    [['kill', 'prod', '--reason', 'drill', '--yes', '--force'], /unknown option '--force'/],
    [['explode', 'prod'], /unknown command 'explode'/],
    [['kill', '--reason', 'drill', '--yes'], /missing required argument 'stage'/],
    [
      ['kill', 'prod', '--reason', 'x', '--yes'],
      /reason: a reason of at least 3 characters is required \(got "x"\)/,
    ],
    [
      ['kill', 'prod', '--reason', 'drill'],
      /refusing to kill prod without confirmation on a non-interactive terminal: pass --yes/,
    ],
  ])('tradeops %j', async (args, message) => {
    const { code, err } = await tradeops(...args);

    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it('prints help and exits 0', async () => {
    const { code, out } = await tradeops('--help');

    expect(code).toBe(0);
    for (const command of [
      'status',
      'halt',
      'kill',
      'resume',
      'pause',
      'unpause',
      'flatten',
      'reset-risk-halt',
      'audit',
    ]) {
      expect(out).toContain(command);
    }
  });
});

describe('tradeops in an AWS stage', () => {
  it('invokes the emergency-stop function with the audited who and why, and prints its step table', async () => {
    lambda.on(InvokeCommand).resolves({
      Payload: payload(JSON.stringify({ kind: 'procedure', result: result('OK') })),
    });

    const { code, out } = await tradeops(
      'kill',
      'prod',
      '--reason',
      'drill',
      '--yes',
      '--as',
      'oncall@desk',
      '--region',
      'ap-south-1',
    );

    expect(code).toBe(0);
    expect(invoked()).toEqual([
      {
        fn: 'algo-trading-prod-emergency-stop',
        event: { action: 'kill', requestedBy: 'oncall@desk', reason: 'drill', scaleToZero: false },
      },
    ]);
    expect(out).toMatch(/ok\s+flag\s+40 ms\s+true -> false/);
    expect(out).toContain('emergency-stop kill-20261123T093000-abcd on prod: OK');
  });

  it('exits 1 and names the failed step when the stop is partial; --json prints the result as is', async () => {
    lambda.on(InvokeCommand).resolves({
      Payload: payload(JSON.stringify({ kind: 'procedure', result: result('PARTIAL') })),
    });

    const { code, out } = await tradeops(
      'kill',
      'prod',
      '--reason',
      'drill',
      '--yes',
      '--json',
      '--region',
      'ap-south-1',
    );

    expect(code).toBe(1);
    expect(JSON.parse(out)).toEqual(result('PARTIAL'));
  });

  it('routes resume to its own function and does not fall back when it fails', async () => {
    lambda.on(InvokeCommand).resolves({
      FunctionError: 'Unhandled',
      Payload: payload(JSON.stringify({ errorMessage: 'Invalid ops function environment: STAGE' })),
    });

    const { code, err } = await tradeops(
      'resume',
      'prod',
      '--reason',
      'incident closed',
      '--yes',
      '--region',
      'ap-south-1',
    );

    expect(code).toBe(1);
    expect(err).toContain(
      'algo-trading-prod-resume-trading failed: Invalid ops function environment: STAGE',
    );
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it('when the function cannot be invoked, kill falls back to the flag, the flatten request, scaling and the page, and says what it could not do', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(
        Object.assign(new Error('not authorized to invoke'), { name: 'AccessDeniedException' }),
      );
    ssm.on(GetParametersCommand).resolves({
      Parameters: [{ Name: '/algo-trading/prod/trading_enabled', Value: 'true', Version: 3 }],
    });
    ssm.on(PutParameterCommand).resolves({ Version: 4 });
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
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: 'algo-trading-prod-trading',
          serviceArn: 'arn:aws:ecs:ap-south-1:123456789012:service/c/s',
          desiredCount: 2,
          runningCount: 2,
          deployments: [],
        },
      ],
    });
    ecs.on(ListTagsForResourceCommand).resolves({ tags: [] });
    ecs.on(TagResourceCommand).resolves({});
    ecs.on(UpdateServiceCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    const { code, out, err } = await tradeops(
      'kill',
      'prod',
      '--reason',
      'lambda down drill',
      '--yes',
      '--scale-to-zero',
      '--as',
      'oncall@desk',
      '--region',
      'ap-south-1',
    );

    expect(err).toContain(
      'could not invoke algo-trading-prod-emergency-stop: AccessDeniedException: not authorized to invoke',
    );
    expect(err).toContain('FALLING BACK');
    const puts = ssm
      .commandCalls(PutParameterCommand)
      .map((c) => [c.args[0].input.Name, c.args[0].input.Value]);
    expect(puts[0]).toEqual(['/algo-trading/prod/trading_enabled', 'false']);
    expect(puts[1]?.[0]).toBe('/algo-trading/prod/flatten_request');
    expect(JSON.parse(String(puts[1]?.[1]))).toMatchObject({
      requester: 'oncall@desk',
      reason: 'lambda down drill',
    });
    expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toMatchObject({
      desiredCount: 0,
    });
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.TopicArn).toBe(DISCOVERY.topics.page);
    // The tasks cannot be reached from outside the VPC: the table says so and the exit code is 1.
    expect(out).toMatch(/FAILED\s+push-halt .*only reachable inside the VPC/);
    expect(out).toMatch(/FAILED\s+verify-flat/);
    expect(out).toMatch(/audit .*audit deferred \(no database access from here\)/);
    expect(code).toBe(1);
  });

  it('falls back for actions that need the VPC too, and exits 1 naming the step that could not run', async () => {
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('timeout'), { name: 'TimeoutError' }));

    const { code, err } = await tradeops(
      'pause',
      'prod',
      '--reason',
      'news',
      '--yes',
      '--region',
      'ap-south-1',
    );

    expect(code).toBe(1);
    expect(err).toContain('could not invoke algo-trading-prod-control: TimeoutError: timeout');
    expect(err).toContain('FALLING BACK');
    expect(err).toMatch(/could not run from outside the VPC: pause \(/);
  });
});

describe('tradeops deploy', () => {
  it('plans checks then cdk deploy; --dry-run diffs; --skip-infra restarts instead', () => {
    const names = (o: Parameters<typeof deployPlan>[1]) =>
      deployPlan('prod', o).map((s) => ('command' in s ? s.command.join(' ') : s.name));

    expect(names({ dryRun: false, skipBuild: false, skipInfra: false })).toEqual([
      'npm run typecheck',
      'npm run lint',
      'npx cdk --no-notices -c stage=prod deploy --all --require-approval broadening',
    ]);
    expect(names({ dryRun: true, skipBuild: true, skipInfra: false })).toEqual([
      'npx cdk --no-notices -c stage=prod diff --all',
    ]);
    expect(names({ dryRun: false, skipBuild: true, skipInfra: true })).toEqual(['restart']);
    expect(names({ dryRun: true, skipBuild: true, skipInfra: true })).toEqual([]);
  });
});
