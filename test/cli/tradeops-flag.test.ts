import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { ProcedureResult } from '../../services/ops/steps/runner';
import { tradeopsInProcess } from '../support/tradeops';

const ssm = mockClient(SSMClient);
const lambda = mockClient(LambdaClient);

const DISCOVERY = {
  region: 'ap-south-1',
  functions: {
    emergencyStop: 'algo-trading-prod-emergency-stop',
    resume: 'algo-trading-prod-resume-trading',
    control: 'algo-trading-prod-control',
  },
  topics: { page: 'arn:page', notify: 'arn:notify' },
  bucket: 'algo-trading-prod-data-123456789012',
  cluster: 'algo-trading-prod-cluster',
};

/** Runs the CLI in process, as `tradeops <args>` on a terminal that is not interactive. */
/** The CLI in process, against ap-south-1. */
const tradeops = (...args: string[]) => tradeopsInProcess(...args, '--region', 'ap-south-1');

const untouched = () => {
  expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
};

beforeEach(() => {
  ssm.reset();
  lambda.reset();
  ssm
    .on(GetParameterCommand, { Name: '/algo-trading/prod/ops' })
    .resolves({ Parameter: { Value: JSON.stringify(DISCOVERY) } });
});

describe('tradeops flag set', () => {
  it('refuses "true" with exit 2 and points to resume: enabling never skips its checks', async () => {
    const { code, err } = await tradeops('flag', 'set', 'prod', 'true', '--reason', 'go', '--yes');

    expect(code).toBe(2);
    expect(err).toContain(
      'flag set prod true is refused: trading is enabled only by resume, after its checks',
    );
    expect(err).toContain('npx tradeops resume prod --reason');
    untouched();
  });

  it.each([
    [
      ['flag', 'set', 'prod', 'TRUE', '--reason', 'drill', '--yes'],
      /Allowed choices are true, false/,
    ],
    [['flag', 'set', 'prod', 'false', '--yes'], /required option '--reason <text>'/],
    [['flag', 'set', 'prod', 'false', '--reason', 'drill'], /pass --yes/],
  ])('refuses %j with exit 2 and changes nothing', async (args, message) => {
    const { code, err } = await tradeops(...args);

    expect({ code, err }).toEqual({ code: 2, err: expect.stringMatching(message) });
    untouched();
  });

  it('"false" runs the halt procedure (seed 002 put-parameter), audited with who and why', async () => {
    const halt: ProcedureResult = {
      procedure: 'halt',
      id: 'halt-20261123T093000-abcd',
      stage: 'prod',
      requestedBy: 'oncall@desk',
      reason: 'drill',
      startedAt: '2026-11-23T04:00:00.000Z',
      finishedAt: '2026-11-23T04:00:01.000Z',
      outcome: 'OK',
      steps: [
        { name: 'flag', status: 'ok', detail: 'v8', durationMs: 30, attempts: 1 },
        { name: 'audit', status: 'ok', detail: 'control_audit row 9', durationMs: 5, attempts: 1 },
      ],
    };
    lambda.on(InvokeCommand).resolves({
      Payload: Buffer.from(
        JSON.stringify({ kind: 'procedure', result: halt }),
      ) as unknown as InvokeCommandOutput['Payload'],
    });

    const { code, out } = await tradeops(
      'flag',
      'set',
      'prod',
      'false',
      '--reason',
      'drill',
      '--yes',
      '--as',
      'oncall@desk',
    );

    expect(code).toBe(0);
    expect(
      lambda.commandCalls(InvokeCommand).map((c) => ({
        fn: c.args[0].input.FunctionName,
        event: JSON.parse(Buffer.from(c.args[0].input.Payload as Uint8Array).toString('utf8')),
      })),
    ).toEqual([
      {
        fn: 'algo-trading-prod-control',
        event: { action: 'halt', requestedBy: 'oncall@desk', reason: 'drill' },
      },
    ]);
    expect(out).toContain('halt halt-20261123T093000-abcd on prod: OK');
  });
});

describe('tradeops flag get', () => {
  beforeEach(() => {
    ssm.on(GetParameterHistoryCommand, { Name: '/algo-trading/prod/trading_enabled' }).resolves({
      Parameters: [
        { Value: 'true', Version: 6, LastModifiedDate: new Date('2026-11-23T03:00:00Z') },
        {
          Value: 'false',
          Version: 7,
          LastModifiedDate: new Date('2026-11-23T04:00:09Z'),
          LastModifiedUser: 'arn:aws:iam::123456789012:user/oncall',
        },
      ],
    });
  });

  it('prints the latest version, when (IST) and by whom, and where the flag is stored', async () => {
    const { code, out } = await tradeops('flag', 'get', 'prod');

    expect(code).toBe(0);
    expect(out.split('\n')).toEqual([
      '/algo-trading/prod/trading_enabled = "false" (version 7, set 2026-11-23 09:30:09 IST by arn:aws:iam::123456789012:user/oncall)',
      'trading HALTED',
      'stored in SSM Parameter Store (ap-south-1)',
    ]);
    untouched();
  });

  it('gives machines the time in ISO 8601 UTC', async () => {
    const { code, out } = await tradeops('flag', 'get', 'prod', '--json');

    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      value: 'false',
      version: 7,
      lastModified: '2026-11-23T04:00:09.000Z',
    });
  });
});
