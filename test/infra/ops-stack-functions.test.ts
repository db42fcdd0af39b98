import { Match, Template } from 'aws-cdk-lib/assertions';
import { SCHEDULED_PROCEDURE_NAMES } from '../../contract/scheduled-procedures';
import { synthProdOps } from './ops-stack-fixtures';
import { expectStackSnapshot } from './snapshot';
import { buildStage } from './synth';

// The ops functions (runtime, environment), the emergency stop's warm alias and auto-kill, the
// names published for the CLI, the way to PostgreSQL, and the stack's snapshot.
describe('ops stack (prod)', () => {
  const { stacks, ops, fn } = synthProdOps();

  it.each([
    ['EmergencyStop', 'lambdas/emergency-stop/handler.ts'],
    ['ResumeTrading', 'lambdas/resume-trading/handler.ts'],
    ['Control', 'lambdas/control/handler.ts'],
  ])(
    'runs %s on Node.js 24 / ARM64 in the private subnets, traced, with JSON logs',
    (prefix, entry) => {
      const [, resource] = fn(prefix);

      expect(resource.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: expect.objectContaining({ LogFormat: 'JSON' }),
        Timeout: 600,
        VpcConfig: expect.objectContaining({
          SubnetIds: expect.any(Array),
          SecurityGroupIds: expect.any(Array),
        }),
      });
      expect(resource.Properties.Code.ZipFile).toContain(entry);
      expect(resource.Properties.Environment.Variables).toMatchObject({
        STAGE: 'prod',
        DATA_BUCKET: 'algo-trading-prod-data-123456789012',
        DB_PORT: '5433',
        DB_NAME: 'algotrading',
        TWO_PERSON_RESUME: 'true',
        READINESS_GATE: 'true',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      });
    },
  );

  it("gives the morning checklist the stage's mode and the NAT Elastic IPs of the network stack", () => {
    const [, resource] = fn('MorningChecklist');
    const variables = resource.Properties.Environment.Variables;

    expect(variables).toMatchObject({ MODE: 'PAPER', REGISTERED_EGRESS_IPS: '' });
    // The network stack's two EIPs, each read from its output (no value guessed at synth).
    const [separator, parts] = variables.EGRESS_IPS['Fn::Join'];
    expect(separator).toBe(',');
    expect(parts).toEqual(
      [1, 2].map((i) => ({
        'Fn::GetStackOutput': expect.objectContaining({
          StackName: 'algo-trading-prod-network',
          OutputName: expect.stringMatching(new RegExp(`NetworkNatEip${i}\\w*PublicIp`)),
        }),
      })),
    );
  });

  /** The logical id of the emergency stop's `live` alias. */
  const aliasId = () => {
    const [id] = Object.keys(
      ops.findResources('AWS::Lambda::Alias', { Properties: { Name: 'live' } }),
    );
    if (!id) throw new Error('no live alias');
    return id;
  };

  it('keeps one emergency stop warm in prod: provisioned concurrency on its live alias, at the current version', () => {
    const [stopId] = fn('EmergencyStop');
    const [versionId] = Object.keys(ops.findResources('AWS::Lambda::Version'));

    ops.resourceCountIs('AWS::Lambda::Alias', 1);
    ops.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      FunctionName: { Ref: stopId },
      FunctionVersion: { 'Fn::GetAtt': [versionId, 'Version'] },
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 1 },
    });
    ops.hasResourceProperties('AWS::Lambda::Version', { FunctionName: { Ref: stopId } });
  });

  it('runs the emergency stop from the daily loss stop alarm (by name) through EventBridge, on the warm alias', () => {
    ops.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: ['algo-trading-prod-daily-loss-stop'], state: { value: ['ALARM'] } },
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: aliasId() },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 900 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
    // EventBridge may invoke the alias, and nothing else of the emergency stop.
    const fromEvents = Object.values(
      ops.findResources('AWS::Lambda::Permission', {
        Properties: { Principal: 'events.amazonaws.com' },
      }),
    );
    expect(fromEvents.map((p) => p.Properties)).toEqual([
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        FunctionName: { Ref: aliasId() },
      }),
    ]);
  });

  it('publishes the alias for the CLI and the dashboard to invoke the emergency stop', () => {
    const [parameter] = Object.values(
      ops.findResources('AWS::SSM::Parameter', {
        Properties: { Name: '/algo-trading/prod/ops' },
      }),
    );

    expect(JSON.stringify(parameter?.Properties.Value)).toContain(
      `"emergencyStop\\":\\"",{"Ref":"${aliasId()}"}`,
    );
  });

  it('publishes the function names for the CLI, the scheduled ones by procedure', () => {
    const [parameter] = Object.values(
      ops.findResources('AWS::SSM::Parameter', {
        Properties: { Name: '/algo-trading/prod/ops' },
      }),
    );
    const value = JSON.stringify(parameter?.Properties.Value);
    for (const name of ['admin', 'scheduled', ...SCHEDULED_PROCEDURE_NAMES])
      expect(value).toContain(name);
  });

  it('lets the functions reach PostgreSQL on its port', () => {
    ops.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 5433,
      ToPort: 5433,
      IpProtocol: 'tcp',
    });
  });

  it('matches the ops snapshot', () => {
    expectStackSnapshot(stacks.ops);
  });
});

describe('ops stack (dev)', () => {
  const { stacks } = buildStage({ stage: 'dev', account: '123456789012' });
  const ops = Template.fromStack(stacks.ops);

  it('invokes the emergency stop through its alias without provisioned concurrency (nothing billed idle)', () => {
    ops.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: Match.absent(),
    });
  });
});
