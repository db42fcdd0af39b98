import { Template } from 'aws-cdk-lib/assertions';
import { stageTokensFor, TOKEN_BROKERS } from '../../contract/broker-tokens';
import { buildStage } from './synth';

/** Each broker's app secret(s) for the sessions PRIMARY and WEBSOCKET1. */
const APPS = {
  kite: ['app'],
  upstox: ['app-PRIMARY', 'app-WEBSOCKET1'],
  angelone: ['app'],
} as const;

describe.each(TOKEN_BROKERS)('trading service in LIVE mode on %s', (broker) => {
  // A trading session and a streaming one: the task may read only the first.
  const { stacks } = buildStage(
    { stage: 'prod', mode: 'LIVE', broker, registeredEgressIps: '13.232.1.1,13.232.1.2' },
    {
      configure: (c) => ({
        ...c,
        brokerTokens: {
          ...c.brokerTokens,
          [broker]: stageTokensFor(broker, ['PRIMARY', 'WEBSOCKET1']),
        },
      }),
    },
  );
  const trading = Template.fromStack(stacks.trading);
  const prefix = `/algo-trading/prod/broker/${broker}/`;
  const env = () => {
    const td = Object.values(trading.findResources('AWS::ECS::TaskDefinition'))[0]?.Properties;
    return Object.fromEntries(
      td.ContainerDefinitions[0].Environment.map((e: { Name: string; Value: string }) => [
        e.Name,
        e.Value,
      ]),
    );
  };
  const secrets = () =>
    Object.entries(trading.findResources('AWS::SecretsManager::Secret')).filter(([, r]) =>
      String(r.Properties.Name).startsWith(prefix),
    );
  const taskReads = () =>
    Object.values(trading.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('TradingServiceTaskRole'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))
      .flatMap((s) => [s.Resource].flat())
      .map((r) => JSON.stringify(r));

  it(`carries BROKER=${broker}, the secret store and the session the task uses`, () => {
    expect(env()).toMatchObject({
      MODE: 'LIVE',
      LIVE_CONFIRMATION: 'CONFIRM LIVE TRADING',
      BROKER: broker,
      BROKER_SECRET_STORE: 'secrets-manager',
      BROKER_TOKEN_NAME: 'PRIMARY',
    });
    expect(Object.keys(env()).filter((k) => /^KITE_(SECRET|TOKEN|LOCAL)/.test(k))).toEqual([]);
  });

  it(`names the first registered egress IP to Angel One only`, () => {
    expect(env().ANGELONE_PUBLIC_IP).toBe(broker === 'angelone' ? '13.232.1.1' : undefined);
  });

  it('creates the app(s) and named session secrets as {} (no value in the template), encrypted and retained', () => {
    const found = secrets();

    expect(found.map(([, r]) => r.Properties.Name).sort()).toEqual(
      [...APPS[broker], 'PRIMARY', 'WEBSOCKET1'].map((n) => `${prefix}${n}`).sort(),
    );
    for (const [id, r] of found) {
      expect(r.Properties.SecretString).toBe('{}');
      expect(r.Properties.KmsKeyId).toBeDefined();
      expect(r.DeletionPolicy).toBe('Retain');
      // Pinned: a retained secret whose logical ID moved would be created again under its name.
      expect(id).toMatch(broker === 'kite' ? /^KiteSecrets/ : /^BrokerSecrets/);
    }
    for (const other of TOKEN_BROKERS.filter((b) => b !== broker))
      expect(JSON.stringify(trading.toJSON())).not.toContain(`/broker/${other}/`);
  });

  it("lets the task read its session's app and the session, and no other", () => {
    const ids = Object.fromEntries(secrets().map(([id, r]) => [r.Properties.Name, id]));
    const reads = taskReads();

    expect(reads).toContain(JSON.stringify({ Ref: ids[`${prefix}${APPS[broker][0]}`] }));
    expect(reads).toContain(JSON.stringify({ Ref: ids[`${prefix}PRIMARY`] }));
    expect(reads.join()).not.toContain(ids[`${prefix}WEBSOCKET1`]);
    if (broker === 'upstox') expect(reads.join()).not.toContain(ids[`${prefix}app-WEBSOCKET1`]);
  });

  it('refuses the broker in PAPER mode at synth', () => {
    expect(() => buildStage({ stage: 'dev', broker })).toThrow(
      new RegExp(`broker: broker ${broker} places real orders: it needs -c mode=LIVE`),
    );
  });
});
