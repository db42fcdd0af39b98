import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { stageTokensFor } from '../../contract/broker-tokens';
import { ValidationError } from '../../contract/validation';
import { handleAdmin } from '../../lambdas/admin/function';
import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import { PgTokenGate } from '../../services/common/tokens/token-gate';
import { tokenLogin } from '../../services/common/tokens/token-login-registry';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { lambdaTokenGate } from '../../services/ops/platform/aws/lambda-token-gate';
import { localOpsContext } from '../../services/ops/platform/local/local-context';
import type { OpsContext, TokenAccess } from '../../services/ops/platform/ports';
import { regenerateTokens } from '../../services/ops/steps/token-generation';
import { SIM_CREDENTIALS, startTestSimulator } from '../sim/kite-sim-support';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { answerExpiredKiteTokens } from '../support/kite-token-secrets';
import { localTokenStack } from '../support/local-token-stack';
import { tradeopsInProcess as tradeops } from '../support/tradeops';

const ssm = mockClient(SSMClient);
const lambda = mockClient(LambdaClient);
const sm = mockClient(SecretsManagerClient);
const s3 = mockClient(S3Client);

const ADMIN = 'algo-trading-dev-admin';
const TOKENS = stageTokensFor('kite', ['PRIMARY', 'WEBSOCKET1']);
const DISCOVERY = {
  region: 'ap-south-1',
  functions: {
    emergencyStop: 'algo-trading-dev-emergency-stop',
    resume: 'algo-trading-dev-resume-trading',
    control: 'algo-trading-dev-control',
    admin: ADMIN,
  },
  topics: {
    page: 'arn:aws:sns:ap-south-1:123456789012:algo-trading-dev-page',
    notify: 'arn:aws:sns:ap-south-1:123456789012:algo-trading-dev-notify',
  },
  bucket: 'algo-trading-dev-data-123456789012',
  cluster: 'algo-trading-dev-cluster',
  tokens: TOKENS,
};
const SECRETS = '/algo-trading/dev/broker/kite';

let db: TestDatabase;
let dir: string;
/** The admin function's context: the dev stage's database (the real PostgreSQL of this file). */
let fnCtx: OpsContext & { readonly pool: { end(): Promise<void> } };

const payload = (value: unknown) =>
  Buffer.from(JSON.stringify(value)) as unknown as InvokeCommandOutput['Payload'];

/** The admin function behind the Lambda API: each invoke runs its handler against PostgreSQL. */
function adminFunctionAnswers() {
  lambda.on(InvokeCommand, { FunctionName: ADMIN }).callsFake(async (input) => {
    const event = JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8'));
    try {
      return { StatusCode: 200, Payload: payload(await handleAdmin(event, fnCtx)) };
    } catch (error) {
      const errorMessage = error instanceof Error ? error.message : String(error);
      return { StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorMessage }) };
    }
  });
}

const gateEvents = () =>
  lambda.commandCalls(InvokeCommand).map((c) => ({
    fn: c.args[0].input.FunctionName,
    event: JSON.parse(Buffer.from(c.args[0].input.Payload as Uint8Array).toString('utf8')),
  }));

const gateRow = async () =>
  (
    await db.pool.query<{ claim_id: string | null; failed_token: string | null; cooling: boolean }>(
      `SELECT claim_id, failed_token, coalesce(cooldown_until > clock_timestamp(), false) AS cooling
         FROM broker_token_gate WHERE stage = 'dev' AND broker = 'kite'`,
    )
  ).rows[0];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

beforeEach(async () => {
  for (const m of [ssm, lambda, sm, s3]) m.reset();
  await db.pool.query('DELETE FROM broker_token_gate');
  dir = mkdtempSync(path.join(os.tmpdir(), 'tradeops-token-'));
  const local = localOpsContext(localTokenStack(db, dir, {}), 'lambda');
  fnCtx = { ...local, stage: 'dev' };
  ssm
    .on(GetParameterCommand, { Name: '/algo-trading/dev/ops' })
    .resolves({ Parameter: { Value: JSON.stringify(DISCOVERY) } });
  answerExpiredKiteTokens(sm, SECRETS);
  s3.resolves({});
});

afterEach(async () => {
  await fnCtx.pool.end();
  rmSync(dir, { recursive: true, force: true });
});

/** A cooldown as a failed login in another machine would have left it. */
async function cooldownAfterFailure(token: string) {
  const gate = new PgTokenGate(db.pool, 'dev');
  const claim = await gate.claim('kite', token, 'other@desk');
  if (!claim.granted) throw new Error('claim refused');
  await gate.failed('kite', claim.id, {
    token,
    by: 'other@desk',
    words: 'TokenException: Token is invalid or has expired.',
    cooldownMs: 5 * 60_000,
  });
}

describe('tradeops token in an AWS stage: the gate through the admin function', () => {
  it('status shows the cooldown kept in the stage database, read through the admin function', async () => {
    // Arrange
    adminFunctionAnswers();
    await cooldownAfterFailure('WEBSOCKET1');

    // Act
    const { code, out } = await tradeops('token', 'status', 'dev');

    // Assert
    expect(code).toBe(1);
    expect(out).toMatch(/WEBSOCKET1\s+COOLDOWN/);
    expect(out).toMatch(/PRIMARY\s+EXPIRED/);
    expect(out).toContain('BROKER COOLDOWN ACTIVE\nLast failed API: WEBSOCKET1');
    expect(gateEvents()).toEqual([
      { fn: ADMIN, event: { action: 'token-gate', broker: 'kite', request: { op: 'state' } } },
    ]);
  });

  it('login is refused during the cooldown before anything is pasted or exchanged', async () => {
    // Arrange
    adminFunctionAnswers();
    await cooldownAfterFailure('PRIMARY');

    // Act
    const { code, err } = await tradeops(
      ...['token', 'login', 'dev', '--broker', 'kite', '--name', 'PRIMARY'],
      ...['--request-token', 'abcdef123456'],
    );

    // Assert
    expect(code).toBe(1);
    expect(err).toMatch(/BROKER COOLDOWN ACTIVE\nLast failed API: PRIMARY\nCooldown until: .* IST/);
    expect(err).not.toContain('log in at');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('claims through the function and releases the claim for a paste that is not a code (no cooldown)', async () => {
    // Arrange
    adminFunctionAnswers();

    // Act
    const { code, err } = await tradeops(
      ...['token', 'login', 'dev', '--broker', 'kite', '--name', 'PRIMARY'],
      ...['--request-token', 'not a code!'],
    );

    // Assert
    expect(code).toBe(2);
    expect(err).toMatch(/PRIMARY: .*request_token/);
    expect(gateEvents().map((e) => e.event.request.op)).toEqual(['state', 'claim', 'succeeded']);
    expect(await gateRow()).toEqual({ claim_id: null, failed_token: null, cooling: false });
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('refuses the login, exchanging nothing, when the admin function cannot be invoked', async () => {
    // Arrange
    lambda.on(InvokeCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: lambda:InvokeFunction'), {
        name: 'AccessDeniedException',
      }),
    );

    // Act
    const { code, err } = await tradeops(
      ...['token', 'login', 'dev', '--broker', 'kite', '--name', 'PRIMARY'],
      ...['--request-token', 'abcdef123456'],
    );

    // Assert
    expect(code).toBe(1);
    expect(err).toContain(`could not invoke ${ADMIN}: AccessDeniedException`);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('refuses the login when the stage publishes no admin function to ask', async () => {
    // Arrange
    const { admin: _none, ...functions } = DISCOVERY.functions;
    ssm
      .on(GetParameterCommand, { Name: '/algo-trading/dev/ops' })
      .resolves({ Parameter: { Value: JSON.stringify({ ...DISCOVERY, functions }) } });

    // Act
    const { code, err } = await tradeops(
      ...['token', 'login', 'dev', '--broker', 'kite', '--name', 'PRIMARY'],
      ...['--request-token', 'abcdef123456'],
    );

    // Assert
    expect(code).toBe(1);
    expect(err).toContain('publishes no admin function');
    expect(err).toContain('no kite token gate reachable from here');
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });
});

describe('lambdaTokenGate: a login behind the admin function, against the Kite simulator', () => {
  let simulator: KiteSimulator;

  beforeEach(async () => {
    simulator = await startTestSimulator();
    await new LocalTokenSecretStore(path.join(dir, 'secrets'), 'kite').writeApp('PRIMARY', {
      api_key: SIM_CREDENTIALS.apiKey,
      api_secret: SIM_CREDENTIALS.apiSecret,
    });
    adminFunctionAnswers();
  });
  afterEach(() => simulator.stop());

  const access = (): TokenAccess => ({
    config: TOKENS,
    login: tokenLogin('kite', {
      stage: 'dev',
      secrets: { kind: 'local', dir: path.join(dir, 'secrets') },
      apiRoot: simulator.apiRoot,
      loginUrl: simulator.loginUrl,
      timeoutMs: 3000,
    }),
    gate: lambdaTokenGate(new LambdaClient({ region: 'ap-south-1' }), ADMIN),
  });
  const regenerate = (paste: () => Promise<string>) => {
    const lines: string[] = [];
    return regenerateTokens(fnCtx, access(), {
      requestedBy: 'oncall@desk',
      reason: 'morning tokens',
      names: ['PRIMARY'],
      paste,
      say: (line) => lines.push(line),
    }).then((r) => ({ ...r, lines }));
  };

  it('stores a token and ends its claim in PostgreSQL', async () => {
    const r = await regenerate(async () => simulator.control.issueRequestToken());

    expect(r.outcome).toBe('OK');
    expect(await gateRow()).toEqual({ claim_id: null, failed_token: null, cooling: false });
  });

  it("records a failed exchange's cooldown in PostgreSQL; the next login is refused", async () => {
    // Act
    const failed = await regenerate(async () => 'wrongtoken123');
    const again = await regenerate(async () => simulator.control.issueRequestToken());

    // Assert
    expect(failed.outcome).toBe('COOLDOWN');
    expect(failed.lines.join('\n')).toContain('PRIMARY: ✗ FAILED: Kite refused the request_token');
    expect(await gateRow()).toEqual({ claim_id: null, failed_token: 'PRIMARY', cooling: true });
    expect(again.outcome).toBe('COOLDOWN');
    expect(again.cooldown?.failedToken).toBe('PRIMARY');
  });

  it('grants one of two claims sent at once through the function', async () => {
    const gate = access().gate as NonNullable<TokenAccess['gate']>;

    const claims = await Promise.all([
      gate.claim('kite', 'PRIMARY', 'a@desk'),
      gate.claim('kite', 'PRIMARY', 'b@desk'),
    ]);

    expect(claims.filter((c) => c.granted)).toHaveLength(1);
  });

  it('throws, rather than guess, when the answer is not a gate answer', async () => {
    lambda
      .on(InvokeCommand, { FunctionName: ADMIN })
      .resolves({ StatusCode: 200, Payload: payload({ kind: 'token-gate', result: { op: 'x' } }) });

    await expect(access().gate?.state('kite')).rejects.toThrow(
      `${ADMIN}'s answer to the kite gate's state is not a gate's answer`,
    );
  });
});

describe('the admin function token-gate action', () => {
  it('refuses a request that is not a gate request, naming the bad value', async () => {
    const event = {
      action: 'token-gate',
      broker: 'kite',
      request: { op: 'succeeded', claimId: 'not-a-uuid' },
    };

    const refused = handleAdmin(event, fnCtx);

    await expect(refused).rejects.toThrow(ValidationError);
    await expect(refused).rejects.toThrow(/claimId.*not-a-uuid/);
  });

  it('refuses a cooldown shorter than a minute', async () => {
    const event = {
      action: 'token-gate',
      broker: 'upstox',
      request: {
        ...{ op: 'failed', claimId: '3f1c7a52-9a43-4a8e-9a0e-0d7f0b5f3c11', token: 'PRIMARY' },
        ...{ by: 'x', words: 'y', cooldownMs: 1 },
      },
    };

    await expect(handleAdmin(event, fnCtx)).rejects.toThrow(/cooldownMs/);
  });
});
