import net from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { OpsEnvironmentVariables } from '../../contract/lambda-environment';
import { DEFAULT_SCHEDULES } from '../../contract/stage';
import { lambdaOpsContext } from '../../lambdas/shared/ops-context';

const secrets = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);

const HANDLERS = [
  'lambdas/emergency-stop/handler',
  'lambdas/resume-trading/handler',
  'lambdas/control/handler',
  'lambdas/admin/handler',
  'lambdas/scheduled/handler',
];

const TOKEN_SECRET = 'arn:aws:secretsmanager:ap-south-1:123456789012:secret:control-token';

/** The environment of an ops function; each test names its own database secret (cached by ARN). */
const environment = (dbSecretArn: string): OpsEnvironmentVariables & NodeJS.ProcessEnv => ({
  STAGE: 'prod',
  DATA_BUCKET: 'algo-trading-prod-data-123456789012',
  RECORDS_BUCKET: 'algo-trading-prod-records-123456789012',
  PAGE_TOPIC_ARN: 'arn:aws:sns:ap-south-1:123456789012:algo-trading-prod-page',
  NOTIFY_TOPIC_ARN: 'arn:aws:sns:ap-south-1:123456789012:algo-trading-prod-notify',
  DB_SECRET_ARN: dbSecretArn,
  DB_HOST: '127.0.0.1',
  DB_PORT: '5433',
  DB_NAME: 'algotrading',
  CONTROL_TOKEN_SECRET_ARN: TOKEN_SECRET,
  TWO_PERSON_RESUME: 'true',
  READINESS_GATE: 'true',
  MODE: 'PAPER',
  REGISTERED_EGRESS_IPS: '',
  EGRESS_IPS: '13.232.1.1,13.232.1.2',
  BROKER_TOKENS: 'PRIMARY',
  SNAPSHOT_RETENTION_DAYS: '30',
  SCHEDULES: JSON.stringify(DEFAULT_SCHEDULES),
});

const awsError = (name: string, status: number) =>
  Object.assign(new Error(`${name} (mocked)`), { name, $metadata: { httpStatusCode: status } });

/**
 * Answers GetSecretValue only once `expected` reads are in flight together (or after a second):
 * reads made one after the other are seen as such. Returns the most that were ever in flight.
 */
function secretsAnsweringTogether(expected: number, answers: Record<string, string | Error>) {
  let inFlight = 0;
  let most = 0;
  let release: () => void = () => undefined;
  const together = new Promise<void>((resolve) => {
    release = resolve;
  });
  secrets.on(GetSecretValueCommand).callsFake(async (input: { SecretId: string }) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    if (inFlight === expected) release();
    await Promise.race([together, new Promise((resolve) => setTimeout(resolve, 1000))]);
    inFlight -= 1;
    const answer = answers[input.SecretId];
    if (answer instanceof Error) throw answer;
    return { SecretString: answer };
  });
  return { most: () => most };
}

describe('ops functions at cold start', () => {
  afterEach(() => {
    secrets.reset();
    ssm.reset();
    jest.restoreAllMocks();
  });

  it.each(
    HANDLERS.flatMap((handler) => [
      [handler, 'on-demand'],
      [handler, 'provisioned-concurrency'],
    ]),
  )(
    '%s reads no secret or parameter and opens no connection when its module loads (%s)',
    async (handler, initializationType) => {
      const connect = jest.spyOn(net.Socket.prototype, 'connect');
      const env = { ...process.env };
      Object.assign(process.env, environment('arn:aws:secretsmanager:::secret:db-import'), {
        PROCEDURE: 'morning-checklist',
        AWS_LAMBDA_INITIALIZATION_TYPE: initializationType,
      });
      try {
        jest.isolateModules(() => {
          require(`../../${handler}`);
        });
        // Anything the module started without awaiting would have run by now.
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        process.env = env;
      }

      expect(secrets.calls()).toHaveLength(0);
      expect(ssm.calls()).toHaveLength(0);
      expect(connect).not.toHaveBeenCalled();
    },
  );

  describe('what loads at init', () => {
    // Each stands for a part of the function's code that the bare handler does not load.
    const HEAVY: Record<string, string> = {
      tracer: '@aws-lambda-powertools/tracer',
      metrics: '@aws-lambda-powertools/metrics',
      zod: 'zod',
      pg: 'pg',
      procedure: '../../services/ops/procedures/emergency-stop',
    };

    /** The heavy modules evaluated while the emergency stop's handler module loads. */
    function loadedAtInit(initializationType: string): string[] {
      const loaded: string[] = [];
      const env = { ...process.env };
      Object.assign(process.env, environment('arn:aws:secretsmanager:::secret:db-init'), {
        AWS_LAMBDA_INITIALIZATION_TYPE: initializationType,
      });
      try {
        jest.isolateModules(() => {
          for (const [name, path] of Object.entries(HEAVY)) {
            jest.doMock(path, () => {
              loaded.push(name);
              return jest.requireActual(path);
            });
          }
          require('../../lambdas/emergency-stop/handler');
        });
      } finally {
        for (const path of Object.values(HEAVY)) jest.dontMock(path);
        process.env = env;
      }
      return loaded.sort();
    }

    it('loads none of the function code at init on demand: the first invocation loads it', () => {
      expect(loadedAtInit('on-demand')).toEqual([]);
    });

    it('loads all of it at init with provisioned concurrency, paid before the first request', () => {
      expect(loadedAtInit('provisioned-concurrency')).toEqual(Object.keys(HEAVY).sort());
    });
  });

  it('reads the database secret and the control token concurrently on the first invocation, and reuses them on the next', async () => {
    const db = 'arn:aws:secretsmanager:ap-south-1:123456789012:secret:db-concurrent';
    const reads = secretsAnsweringTogether(2, {
      [db]: JSON.stringify({ username: 'ops', password: 'secret' }),
      [TOKEN_SECRET]: 'control-token',
    });
    const context = lambdaOpsContext({ parts: [], instrument: (c) => c, env: environment(db) });

    const first = await context();
    const again = await context();

    expect(reads.most()).toBe(2);
    expect(
      secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId),
    ).toEqual(expect.arrayContaining([db, TOKEN_SECRET]));
    expect(secrets.calls()).toHaveLength(2);
    expect(again).toBe(first);
    await first.db?.end();
  });

  it('builds the context when the control token cannot be read: only the calls to a task need it', async () => {
    const db = 'arn:aws:secretsmanager:ap-south-1:123456789012:secret:db-token-denied';
    secretsAnsweringTogether(2, {
      [db]: JSON.stringify({ username: 'ops', password: 'secret' }),
      [TOKEN_SECRET]: awsError('AccessDeniedException', 400),
    });
    const context = lambdaOpsContext({ parts: [], instrument: (c) => c, env: environment(db) });

    const ctx = await context();

    expect(ctx.db).toBeDefined();
    expect(ctx.parameters.kind).toBe('ssm');
    await ctx.db?.end();
  });

  it('fails the invocation when the database secret cannot be read, and reads it again on the next', async () => {
    const db = 'arn:aws:secretsmanager:ap-south-1:123456789012:secret:db-throttled';
    secretsAnsweringTogether(2, {
      [db]: awsError('ThrottlingException', 400),
      [TOKEN_SECRET]: 'control-token',
    });
    const context = lambdaOpsContext({ parts: [], instrument: (c) => c, env: environment(db) });

    await expect(context()).rejects.toThrow(/ThrottlingException/);
    secrets.on(GetSecretValueCommand, { SecretId: db }).resolves({
      SecretString: JSON.stringify({ username: 'ops', password: 'secret' }),
    });
    const ctx = await context();

    expect(
      secrets.commandCalls(GetSecretValueCommand, { SecretId: db }).length,
    ).toBeGreaterThanOrEqual(2);
    await ctx.db?.end();
  });

  it('refuses a missing variable by name before it reads anything', async () => {
    const { DB_HOST: _omitted, ...env } = environment('arn:aws:secretsmanager:::secret:db-bad-env');
    const context = lambdaOpsContext({ parts: [], instrument: (c) => c, env });

    await expect(context()).rejects.toThrow(/DB_HOST/);
    expect(secrets.calls()).toHaveLength(0);
  });
});
