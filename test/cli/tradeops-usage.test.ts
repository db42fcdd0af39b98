import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { parseDuration } from '../../scripts/tradeops/log-commands';
import { tradeopsInProcess as tradeops } from '../support/tradeops';

const ssm = mockClient(SSMClient);
const lambda = mockClient(LambdaClient);

/** Runs the CLI in process, as `tradeops <args>` on a terminal that is not interactive. */

afterEach(() => {
  ssm.reset();
  lambda.reset();
});

describe('tradeops: input that looks valid but means nothing exits 2 with the rule', () => {
  it.each([
    [
      ['logs', 'prod', '--since', '0m'],
      /--since takes a duration like 30s, 15m, 2h or 1d, more than zero \(got "0m"\)/,
    ],
    [['logs', 'prod', '--since', '0d', '--follow'], /more than zero \(got "0d"\)/],
    [
      ['resume', 'prod', '--reason', 'drill over', '--yes', '--approved-by', ''],
      /approvedBy: the approver must name the second person \(two-person rule\) \(got ""\)/,
    ],
    [
      ['resume', 'prod', '--reason', 'drill over', '--yes', '--approved-by', '   '],
      /approvedBy: the approver must name the second person/,
    ],
  ])('tradeops %j', async (args, message) => {
    const { code, err } = await tradeops(...args);

    expect({ code, err }).toEqual({ code: 2, err: expect.stringMatching(message) });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it('reads positive durations in every unit', () => {
    expect([
      parseDuration('30s'),
      parseDuration('15m'),
      parseDuration('2h'),
      parseDuration('1d'),
    ]).toEqual([30_000, 900_000, 7_200_000, 86_400_000]);
  });
});
