import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SsmParameterStore } from '../../services/common/parameters/ssm-parameter-store';
import { type FlagListener, FlagWatcher } from '../../services/trading/src/flag/flag-watcher';

const FLAG = '/algo-trading/prod/trading_enabled';
const FLATTEN = '/algo-trading/prod/flatten_request';

const ssm = mockClient(SSMClient);

function parameter(name: string, value: string, version = 1) {
  return {
    Name: name,
    Value: value,
    Version: version,
    Type: 'String' as const,
    LastModifiedDate: new Date(1_700_000_000_000),
  };
}

function answer(flag: string | undefined, version = 1, flatten?: string) {
  const params = [];
  if (flag !== undefined) params.push(parameter(FLAG, flag, version));
  if (flatten !== undefined) params.push(parameter(FLATTEN, flatten, 1));
  ssm.on(GetParametersCommand).resolves({
    Parameters: params,
    InvalidParameters: [
      ...(flag === undefined ? [FLAG] : []),
      ...(flatten === undefined ? [FLATTEN] : []),
    ],
  });
}

function awsError(name: string, status: number) {
  return Object.assign(new Error(`${name} from SSM`), {
    name,
    $metadata: { httpStatusCode: status },
  });
}

describe('FlagWatcher', () => {
  let now: number;
  let listener: jest.Mocked<FlagListener>;
  let watcher: FlagWatcher;

  beforeEach(() => {
    now = 1_700_000_100_000;
    listener = {
      onFlag: jest.fn(),
      onFlattenRequest: jest.fn(),
      onInvalidFlattenRequest: jest.fn(),
    };
    watcher = new FlagWatcher(
      new SsmParameterStore(new SSMClient({ region: 'ap-south-1' })),
      {
        flagParameter: FLAG,
        flattenRequestParameter: FLATTEN,
        pollMs: 1000,
        maxStalenessMs: 5000,
        now: () => now,
      },
      listener,
    );
  });
  afterEach(() => ssm.reset());

  it('is halted before the first read', () => {
    expect(watcher.enabled()).toBe(false);
    expect(watcher.snapshot()).toMatchObject({
      status: 'NEVER_READ',
      enabled: false,
      reason: 'flag not read yet',
    });
  });

  it('reads the flag and the flatten request in one GetParameters call', async () => {
    answer('true', 3, '{"id":"none","reason":"x","requester":"cdk"}');

    await watcher.poll();

    const calls = ssm.commandCalls(GetParametersCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({ Names: [FLAG, FLATTEN], WithDecryption: false });
  });

  it.each(['true', ' true', 'true\n'])(
    'allows entries when the flag is %j (trimmed)',
    async (value) => {
      answer(value);

      const snap = await watcher.poll();

      expect(snap).toMatchObject({ status: 'OK', enabled: true, value });
      expect(watcher.enabled()).toBe(true);
    },
  );

  it.each(['false', 'TRUE ', '', 'yes', 'True', '1', 'on', '"true"', 'true false'])(
    'fails closed when the flag is %j and shows the value',
    async (value) => {
      answer(value);

      const snap = await watcher.poll();

      expect(watcher.enabled()).toBe(false);
      expect(snap).toMatchObject({
        status: 'OK',
        enabled: false,
        value,
        reason: `flag is ${JSON.stringify(value)}`,
      });
    },
  );

  it('fails closed when the flag parameter does not exist', async () => {
    answer(undefined);

    const snap = await watcher.poll();

    expect(watcher.enabled()).toBe(false);
    expect(snap).toMatchObject({
      status: 'MISSING',
      reason: `flag parameter ${FLAG} does not exist`,
    });
  });

  it.each([
    ['AccessDeniedException', 400],
    ['ThrottlingException', 400],
    ['InternalServerError', 500],
  ])(
    'keeps the last value through %s until the staleness bound, then halts',
    async (name, status) => {
      answer('true');
      await watcher.poll();
      ssm.reset();
      ssm.on(GetParametersCommand).rejects(awsError(name, status));

      now += 4000;
      const early = await watcher.poll();
      now += 1500;
      const late = await watcher.poll();

      expect(early).toMatchObject({
        status: 'UNREADABLE',
        enabled: true,
        lastError: expect.stringContaining(name),
      });
      expect(late).toMatchObject({ status: 'UNREADABLE', enabled: false });
      expect(late.reason).toMatch(new RegExp(`flag unreadable for 6 s \\(limit 5 s\\): ${name}`));
      expect(watcher.enabled()).toBe(false);
    },
  );

  it('halts on staleness even when no read completes', async () => {
    answer('true');
    await watcher.poll();

    now += 5001;

    expect(watcher.enabled()).toBe(false);
    expect(watcher.snapshot().reason).toMatch(/flag unreadable for 5 s/);
  });

  it('halts at once on a pushed halt, and only a newer "true" lifts it', async () => {
    answer('true', 7);
    await watcher.poll();

    const pushed = watcher.pushHalt('emergency-stop', 'drill');
    await watcher.poll();
    const stillHalted = watcher.enabled();
    answer('true', 8);
    await watcher.poll();

    expect(pushed).toMatchObject({
      enabled: false,
      reason: 'halt pushed by emergency-stop: drill',
    });
    expect(stillHalted).toBe(false);
    expect(watcher.enabled()).toBe(true);
  });

  it('passes on a well-formed flatten request and ignores the "none" request', async () => {
    answer('false', 1, JSON.stringify({ id: 'kill-1', reason: 'drill', requester: 'alice' }));
    await watcher.poll();
    answer(
      'false',
      1,
      JSON.stringify({ id: 'none', reason: 'no flatten requested', requester: 'cdk' }),
    );
    await watcher.poll();

    expect(listener.onFlattenRequest).toHaveBeenCalledTimes(1);
    expect(listener.onFlattenRequest).toHaveBeenCalledWith(
      { id: 'kill-1', reason: 'drill', requester: 'alice' },
      1_700_000_000_000,
    );
  });

  it('reports a malformed flatten request instead of acting on it', async () => {
    answer('false', 1, '{"id": 5}');

    await watcher.poll();

    expect(listener.onFlattenRequest).not.toHaveBeenCalled();
    expect(listener.onInvalidFlattenRequest).toHaveBeenCalledWith(
      '{"id": 5}',
      expect.stringContaining('id'),
    );
  });
});
