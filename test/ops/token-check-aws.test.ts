import {
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { stageTokensFor } from '../../contract/broker-tokens';
import { OpsEnvironmentSchema } from '../../contract/lambda-environment';
import { DEFAULT_SCHEDULES } from '../../contract/stage';
import { MarketCalendar } from '../../services/common/market-calendar';
import { PgTokenGate } from '../../services/common/tokens/token-gate';
import { brokerLogout } from '../../services/ops/checks/evening-checks';
import { type Check, runChecks } from '../../services/ops/checks/framework';
import { brokerTokens } from '../../services/ops/checks/morning-checks';
import type { ChecklistContext } from '../../services/ops/checks/support';
import { namedTokens } from '../../services/ops/checks/token-checks';
import { awsOpsContext } from '../../services/ops/platform/aws/aws-context';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { answerExpiredKiteTokens } from '../support/kite-token-secrets';

const sm = mockClient(SecretsManagerClient);
const SECRETS = '/algo-trading/prod/broker/kite';
const SET = stageTokensFor('kite', ['PRIMARY', 'WEBSOCKET1']);

let db: TestDatabase;

/** Yesterday in IST: its close is past. */
const yesterdayIst = () =>
  new Date(Date.now() + 330 * 60_000 - 86_400_000).toISOString().slice(0, 10);

/** An ops function's context in AWS, as lambdas/shared/ops-context.ts builds it from its env. */
function lambdaContext(): ChecklistContext {
  const ctx = awsOpsContext({
    stage: 'prod',
    source: 'lambda',
    region: 'ap-south-1',
    bucket: 'algo-trading-prod-data-123456789012',
    topics: { page: 'arn:page', notify: 'arn:notify' },
    db: db.pool,
    tokens: SET,
  });
  return { ...ctx, day: yesterdayIst(), calendar: new MarketCalendar() };
}

const run = (check: Check<ChecklistContext>, ctx = lambdaContext()) =>
  check.run(ctx, new AbortController().signal);

const secretsRead = () =>
  sm
    .commandCalls(GetSecretValueCommand)
    .map((c) => c.args[0].input.SecretId)
    .sort();

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

beforeEach(async () => {
  sm.reset();
  await db.pool.query('DELETE FROM broker_token_gate');
  answerExpiredKiteTokens(sm, SECRETS);
});

describe('the ops functions in AWS: the named tokens from Secrets Manager and the gate', () => {
  it('reads BROKER and the token set from the environment, refusing a set of another broker', () => {
    const env = {
      ...{
        STAGE: 'prod',
        DATA_BUCKET: 'bkt',
        RECORDS_BUCKET: 'rec',
        DB_HOST: 'db',
        DB_PORT: '5433',
      },
      ...{ PAGE_TOPIC_ARN: 'arn:p', NOTIFY_TOPIC_ARN: 'arn:n', DB_SECRET_ARN: 'arn:s' },
      ...{ DB_NAME: 'algotrading', CONTROL_TOKEN_SECRET_ARN: 'arn:c', TWO_PERSON_RESUME: 'true' },
      ...{ READINESS_GATE: 'true', REGISTERED_EGRESS_IPS: '', BROKER_TOKENS: 'PRIMARY' },
      ...{ MODE: 'LIVE', EGRESS_IPS: '' },
      ...{ SNAPSHOT_RETENTION_DAYS: '30', SCHEDULES: JSON.stringify(DEFAULT_SCHEDULES) },
    };
    const parse = (broker: string, set: unknown) =>
      OpsEnvironmentSchema.safeParse({
        ...env,
        BROKER: broker,
        BROKER_TOKEN_SET: JSON.stringify(set),
      });
    const mismatch = 'BROKER_TOKEN_SET must be the token set of BROKER (null for paper)';

    expect(parse('kite', SET).data?.BROKER_TOKEN_SET).toEqual(SET);
    expect(parse('paper', null).success).toBe(true);
    expect(parse('upstox', SET).error?.issues.map((i) => i.message)).toEqual([mismatch]);
    expect(parse('paper', SET).error?.issues.map((i) => i.message)).toEqual([mismatch]);
    expect(parse('kite', null).error?.issues.map((i) => i.message)).toEqual([mismatch]);
  });

  it('builds the login without loading or reading anything until a token is asked about', () => {
    const { tokens } = lambdaContext();

    expect(tokens?.login.mode).toBe('interactive');
    expect(tokens?.login.where).toBe(`Secrets Manager ${SECRETS}/*`);
    expect(sm.calls()).toHaveLength(0);
  });

  it("loads Kite's login from the registry on first use, the mode agreeing with the contract's", async () => {
    const link = await lambdaContext().tokens?.login.loginLink('PRIMARY');

    expect(link).toBe('https://kite.zerodha.com/connect/login?v=3&api_key=key1');
    expect(secretsRead()).toEqual([`${SECRETS}/app`]);
  });

  it('fails the token check for each named token, with the cooldown in the database and the command', async () => {
    // Arrange: a failed login elsewhere left a cooldown on WEBSOCKET1.
    const gate = new PgTokenGate(db.pool, 'prod');
    const claim = await gate.claim('kite', 'WEBSOCKET1', 'oncall@desk');
    if (!claim.granted) throw new Error('claim refused');
    await gate.failed('kite', claim.id, {
      ...{ token: 'WEBSOCKET1', by: 'oncall@desk', words: 'TokenException: bad code' },
      cooldownMs: 5 * 60_000,
    });

    // Act
    const outcome = await run(namedTokens('all'));

    // Assert
    expect(outcome.status).toBe('FAIL');
    expect(outcome.detail).toContain('PRIMARY EXPIRED: past its expiry');
    expect(outcome.detail).toContain('WEBSOCKET1 COOLDOWN');
    expect(outcome.detail).toMatch(/kite cooldown until .* IST after WEBSOCKET1 failed/);
    expect(outcome.detail).toContain('run: tradeops token login prod --broker kite --all-invalid');
    // No token to prove with Kite: the app's credentials are not read either.
    expect(secretsRead()).toEqual([`${SECRETS}/PRIMARY`, `${SECRETS}/WEBSOCKET1`]);
    expect(sm.commandCalls(ListSecretsCommand)).toHaveLength(0);
  });

  it('proves the tokens for the morning checklist without a trading task to ask', async () => {
    const outcome = await run(brokerTokens);

    expect(outcome.status).toBe('FAIL');
    expect(outcome.detail).toContain('PRIMARY EXPIRED');
    expect(outcome.detail).not.toMatch(/trading task/);
  });

  it('logs out the named tokens in the evening without listing secrets', async () => {
    sm.on(GetSecretValueCommand, { SecretId: `${SECRETS}/PRIMARY` }).resolves({
      VersionId: 'v0',
      SecretString: '{}',
    });

    const outcome = await run(brokerLogout);

    expect(outcome).toMatchObject({
      status: 'PASS',
      detail: 'no session logged out; no token stored: PRIMARY, WEBSOCKET1',
    });
    expect(sm.commandCalls(ListSecretsCommand)).toHaveLength(0);
  });

  it('fails closed with Secrets Manager own words when a secret cannot be read', async () => {
    sm.on(GetSecretValueCommand, { SecretId: `${SECRETS}/PRIMARY` }).rejects(
      Object.assign(new Error('User is not authorized to perform: secretsmanager:GetSecretValue'), {
        name: 'AccessDeniedException',
      }),
    );

    // As the checklist runs it: a check that throws is a FAIL with the words.
    const [outcome] = await runChecks([namedTokens('all')], lambdaContext(), 10_000);

    expect(outcome?.status).toBe('FAIL');
    expect(outcome?.detail).toContain('not authorized to perform: secretsmanager:GetSecretValue');
  });
});
