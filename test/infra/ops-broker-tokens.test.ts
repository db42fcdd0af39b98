import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { StageTokensSchema, stageTokensFor } from '../../contract/broker-tokens';
import { brokerSecretStatements } from '../../lib/constructs/broker-secret-set';
import { buildStage } from './synth';

/** An IAM policy statement as synthesised. */
interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** A synthesised stage's ops functions, their roles' statements, env and discovery parameter. */
function opsOf(context: Record<string, string>, tokenNames?: string[]) {
  const broker = (context.broker ?? 'kite') as 'kite' | 'upstox' | 'angelone';
  const { stacks } = buildStage(context, {
    nag: false,
    configure: (c) =>
      tokenNames
        ? {
            ...c,
            brokerTokens: { ...c.brokerTokens, [broker]: stageTokensFor(broker, tokenNames) },
          }
        : c,
  });
  const ops = Template.fromStack(stacks.ops);
  const trading = Template.fromStack(stacks.trading);
  const functions = Object.entries(ops.findResources('AWS::Lambda::Function'));
  const fn = (prefix: string) => {
    const entry = functions.find(([id]) => id.startsWith(prefix));
    if (!entry) throw new Error(`no function ${prefix}`);
    return entry[1];
  };
  const statementsOf = (prefix: string): Statement[] => {
    const roleId = fn(prefix).Properties.Role['Fn::GetAtt'][0];
    return Object.values(ops.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  };
  const discovery = () => {
    const [parameter] = Object.values(ops.findResources('AWS::SSM::Parameter'));
    // toJsonString: a Fn::Join of literal text and references; the tokens are all literal.
    return JSON.stringify(parameter?.Properties.Value);
  };
  const kiteSecretIds = Object.fromEntries(
    Object.entries(trading.findResources('AWS::SecretsManager::Secret'))
      .filter(([, r]) => String(r.Properties.Name).includes(`/broker/${broker}/`))
      .map(([id, r]) => [String(r.Properties.Name).split('/').pop(), id]),
  );
  return {
    ops,
    dashboard: Template.fromStack(stacks.dashboard),
    functions: functions.map(([id]) => id),
    fn,
    statementsOf,
    discovery,
    kiteSecretIds,
  };
}

const OPERATORS = ['EmergencyStop', 'Control', 'Admin'];
const READERS = ['ResumeTrading', 'TokenCheck', 'MorningChecklist', 'EveningChecklist'];
const NON_READERS = [
  ...OPERATORS,
  'DeadlineCheck',
  'TradeExport',
  'Records',
  'DatabaseBackup',
  'Maintenance',
];

describe('ops stack on Kite (LIVE): the named tokens of the stage', () => {
  const stage = opsOf(
    { stage: 'prod', mode: 'LIVE', broker: 'kite', registeredEgressIps: '13.232.1.1,13.232.1.2' },
    ['PRIMARY', 'WEBSOCKET1'],
  );
  const brokerSecretAccess = (prefix: string) =>
    stage.statementsOf(prefix).filter((s) => JSON.stringify(s.Resource).includes('KiteSecrets'));

  it("gives every function BROKER and the stage's token set, validated as the runtime reads it", () => {
    const envs = stage.functions
      .map((id) => stage.fn(id).Properties.Environment?.Variables)
      .filter((env) => env?.STAGE);
    expect(envs.length).toBe(READERS.length + NON_READERS.length);
    for (const env of envs) {
      expect(env.BROKER).toBe('kite');
      expect(StageTokensSchema.parse(JSON.parse(env.BROKER_TOKEN_SET))).toEqual(
        stageTokensFor('kite', ['PRIMARY', 'WEBSOCKET1']),
      );
      expect(env.BROKER_TOKENS).toBe('PRIMARY,WEBSOCKET1');
    }
  });

  it.each(READERS)(
    '%s reads exactly the Kite app and token secrets of the stage, and writes none',
    (prefix) => {
      const access = brokerSecretAccess(prefix);

      expect(access).toHaveLength(1);
      expect(access[0]?.Sid).toBe('ReadBrokerSecrets');
      expect(access[0]?.Action).toBe('secretsmanager:GetSecretValue');
      const resources = [access[0]?.Resource].flat().map((r) => JSON.stringify(r));
      expect(resources).toHaveLength(3);
      for (const name of ['app', 'PRIMARY', 'WEBSOCKET1'])
        expect(resources.filter((r) => r.includes(String(stage.kiteSecretIds[name])))).toHaveLength(
          1,
        );
    },
  );

  it.each(NON_READERS)('%s has no access to the broker secrets', (prefix) => {
    expect(brokerSecretAccess(prefix)).toEqual([]);
  });

  it('lets no function write a token (Kite logs in through a person) or list secrets', () => {
    const actions = stage.functions
      .filter((id) => [...READERS, ...NON_READERS].some((p) => id.startsWith(p)))
      .flatMap((id) => stage.statementsOf(id))
      .flatMap((s) => [s.Action].flat());

    expect(actions).not.toContain('secretsmanager:PutSecretValue');
    expect(actions).not.toContain('secretsmanager:ListSecrets');
  });

  it('publishes the token set in the discovery parameter for the CLI and the dashboard', () => {
    const text = stage.discovery();

    expect(text).toContain('\\"tokens\\":{\\"broker\\":\\"kite\\"');
    expect(text).toContain('\\"names\\":[\\"PRIMARY\\",\\"WEBSOCKET1\\"]');
  });
});

describe('dashboard stack on Kite (LIVE): the token card', () => {
  const stage = opsOf(
    { stage: 'prod', mode: 'LIVE', broker: 'kite', registeredEgressIps: '13.232.1.1,13.232.1.2' },
    ['PRIMARY', 'WEBSOCKET1'],
  );

  it("gives the dashboard the stage's token set and read access to exactly its broker secrets", () => {
    const [task] = Object.values(stage.dashboard.findResources('AWS::ECS::TaskDefinition'));
    const env = Object.fromEntries(
      task?.Properties.ContainerDefinitions[0].Environment.map(
        (e: { Name: string; Value: string }) => [e.Name, e.Value],
      ),
    );
    const statements: Statement[] = Object.values(stage.dashboard.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('DashboardTaskRole'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const read = statements.find((s) => s.Sid === 'ReadBrokerSecrets');

    expect(JSON.parse(env.BROKER_TOKEN_SET)).toEqual(
      stageTokensFor('kite', ['PRIMARY', 'WEBSOCKET1']),
    );
    expect(read?.Action).toBe('secretsmanager:GetSecretValue');
    expect([read?.Resource].flat()).toHaveLength(3);
    for (const name of ['app', 'PRIMARY', 'WEBSOCKET1'])
      expect(JSON.stringify(read?.Resource)).toContain(String(stage.kiteSecretIds[name]));
    expect(statements.flatMap((s) => [s.Action].flat())).not.toContain(
      'secretsmanager:PutSecretValue',
    );
  });
});

describe.each([
  ['upstox', ['app-PRIMARY', 'app-WEBSOCKET1', 'PRIMARY', 'WEBSOCKET1'], 'read'],
  ['angelone', ['app', 'PRIMARY', 'WEBSOCKET1'], 'renew'],
] as const)('ops stack on %s (LIVE)', (broker, secrets, tokenCheck) => {
  const stage = opsOf(
    { stage: 'prod', mode: 'LIVE', broker, registeredEgressIps: '13.232.1.1,13.232.1.2' },
    ['PRIMARY', 'WEBSOCKET1'],
  );
  const access = (prefix: string) =>
    stage.statementsOf(prefix).filter((s) => JSON.stringify(s.Resource).includes('BrokerSecrets'));

  it.each(READERS)('%s reads every app and session secret of the stage', (prefix) => {
    const read = access(prefix).find((s) => s.Sid === 'ReadBrokerSecrets');
    const resources = JSON.stringify(read?.Resource);

    expect([read?.Resource].flat()).toHaveLength(secrets.length);
    for (const name of secrets) expect(resources).toContain(String(stage.kiteSecretIds[name]));
  });

  it(`lets the token check ${tokenCheck} (an unattended login renews), nothing else write`, () => {
    const puts = (prefix: string) =>
      access(prefix).filter((s) => [s.Action].flat().includes('secretsmanager:PutSecretValue'));

    expect(puts('TokenCheck')).toHaveLength(tokenCheck === 'renew' ? 1 : 0);
    expect(JSON.stringify(puts('TokenCheck'))).not.toContain(String(stage.kiteSecretIds.app));
    for (const prefix of [...READERS, ...NON_READERS].filter((p) => p !== 'TokenCheck'))
      expect(puts(prefix)).toEqual([]);
  });

  it("publishes the registered egress IPs (Angel One's calls from the CLI name the first)", () => {
    expect(stage.discovery()).toContain(
      '\\"registeredEgressIps\\":[\\"13.232.1.1\\",\\"13.232.1.2\\"]',
    );
  });
});

describe('ops stack on the paper broker', () => {
  const stage = opsOf({ stage: 'prod' });

  it('sets BROKER=paper and no token set, grants no broker secret, publishes no tokens', () => {
    const env = stage.fn('TokenCheck').Properties.Environment.Variables;

    expect(env.BROKER).toBe('paper');
    expect(env.BROKER_TOKEN_SET).toBe('null');
    for (const prefix of [...READERS, ...NON_READERS])
      expect(stage.statementsOf(prefix).map((s) => s.Sid)).not.toContain('ReadBrokerSecrets');
    expect(stage.discovery()).not.toContain('tokens');
  });
});

describe('brokerSecretStatements', () => {
  const stack = new Stack(new App(), 'Test', { env: { region: 'ap-south-1' } });
  const secret = (id: string) =>
    secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      id,
      `arn:aws:secretsmanager:ap-south-1:123456789012:secret:/algo-trading/prod/broker/angelone/${id}-AbCdEf`,
    );
  const set = {
    broker: 'angelone' as const,
    appSecrets: [secret('app')],
    tokenSecrets: [secret('PRIMARY')],
  };
  const json = (statements: iam.PolicyStatement[]) =>
    statements.map((s) => stack.resolve(s.toStatementJson()));

  it('renews (an unattended login) by putting token versions only, never the app credentials', () => {
    const [read, put, encrypt] = json(
      brokerSecretStatements('renew', set, { dataKeyArn: 'arn:key', region: 'ap-south-1' }),
    );

    expect(read.Action).toBe('secretsmanager:GetSecretValue');
    expect(read.Resource).toHaveLength(2);
    expect(put).toMatchObject({
      Sid: 'RenewBrokerTokens',
      Action: 'secretsmanager:PutSecretValue',
      Resource: expect.stringContaining('/angelone/PRIMARY-'),
    });
    expect(encrypt).toMatchObject({
      Action: 'kms:GenerateDataKey',
      Resource: 'arn:key',
      Condition: {
        StringEquals: { 'kms:ViaService': 'secretsmanager.ap-south-1.amazonaws.com' },
      },
    });
  });

  it('reads without any write', () => {
    const statements = json(
      brokerSecretStatements('read', set, { dataKeyArn: 'arn:key', region: 'ap-south-1' }),
    );

    expect(statements.map((s) => s.Action)).toEqual(['secretsmanager:GetSecretValue']);
  });
});
