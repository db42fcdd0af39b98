import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildStage } from './synth';

describe('trading service (prod)', () => {
  const { stacks } = buildStage({ stage: 'prod' });
  const trading = Template.fromStack(stacks.trading);
  const taskDefinition = () =>
    Object.values(trading.findResources('AWS::ECS::TaskDefinition'))[0]?.Properties;
  const container = () => taskDefinition().ContainerDefinitions[0];
  const pageTopicId = () =>
    Object.entries(trading.findResources('AWS::SNS::Topic')).find(
      ([, t]) => t.Properties.TopicName === 'algo-trading-prod-page',
    )?.[0];

  it('runs as algo-trading-prod-trading on the cluster, in private subnets, with rollback on failed deployments', () => {
    trading.hasResourceProperties('AWS::ECS::Service', {
      ServiceName: 'algo-trading-prod-trading',
      Cluster: { Ref: Match.stringLikeRegexp('^Cluster') },
      LaunchType: 'FARGATE',
      DesiredCount: 1,
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({
          AssignPublicIp: 'DISABLED',
          Subnets: Match.arrayWith([
            Match.objectLike({
              'Fn::GetStackOutput': Match.objectLike({
                OutputName: Match.stringLikeRegexp('PrivateSubnet'),
              }),
            }),
          ]),
        }),
      },
      ServiceRegistries: [Match.objectLike({ RegistryArn: Match.anyValue() })],
    });
  });

  it('registers as trading.algo-trading-prod.local for callers inside the VPC', () => {
    trading.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', {
      Name: 'algo-trading-prod.local',
    });
    trading.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'trading' });
  });

  it('is an ARM64 Fargate task with a 120 s stop timeout, read-only root, non-root user and a health check', () => {
    expect(taskDefinition()).toMatchObject({
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      Cpu: '1024',
      Memory: '2048',
    });
    expect(container()).toMatchObject({
      Name: 'trading',
      StopTimeout: 120,
      ReadonlyRootFilesystem: true,
      User: 'node',
      PortMappings: [{ ContainerPort: 8000, Name: 'http', Protocol: 'tcp' }],
    });
    expect(container().HealthCheck.Command.slice(0, 2)).toEqual(['CMD', 'node']);
    expect(container().HealthCheck.Command.at(-1)).toContain('http://127.0.0.1:8000/health');
  });

  it('logs to /aws/ecs/algo-trading-prod with stream prefix trading', () => {
    const { LogDriver, Options } = container().LogConfiguration;
    const [groupId] = Object.keys(
      trading.findResources('AWS::Logs::LogGroup', {
        Properties: { LogGroupName: '/aws/ecs/algo-trading-prod' },
      }),
    );

    expect(LogDriver).toBe('awslogs');
    expect(Options).toEqual({
      'awslogs-group': { Ref: groupId },
      'awslogs-stream-prefix': 'trading',
      'awslogs-region': 'ap-south-1',
    });
  });

  it('passes the stage config, not secrets, in its environment', () => {
    const env = Object.fromEntries(
      container().Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]),
    );

    expect(env).toMatchObject({
      STAGE: 'prod',
      MODE: 'PAPER',
      PORT: '8000',
      DB_PORT: '5433',
      DB_NAME: 'algotrading',
      PARAMETER_STORE: 'ssm',
      SESSION_CLOCK: 'nse',
      NODE_OPTIONS: '--max-semi-space-size=32',
      FLAG_MAX_STALENESS_SECONDS: '5',
      METRICS_EMF: 'true',
      BROKER_TOKEN_NAMES: 'PRIMARY,WEBSOCKET1,WEBSOCKET2,WEBSOCKET3,OPTIONCHAIN1,OPTIONCHAIN2',
    });
    expect(JSON.parse(env.RISK_LIMITS)).toMatchObject({
      capitalInr: 1_000_000,
      maxPortfolioHeatPct: 2,
      dailyLossStopPct: 2.5,
      maxOrdersPerSecond: 8,
    });
    expect(Object.keys(env).some((k) => /PASSWORD|TOKEN$/.test(k) && !k.endsWith('_ARN'))).toBe(
      false,
    );
    expect(env.LIVE_CONFIRMATION).toBeUndefined();
    expect(env.PAGE_TOPIC_ARN).toEqual({ Ref: pageTopicId() });
  });

  it('lets the task role read only its two parameters and its two secrets, and page on the page topic', () => {
    const role = Object.entries(trading.findResources('AWS::IAM::Role')).find(([id]) =>
      id.startsWith('TradingServiceTaskRole'),
    );
    const policies = Object.values(trading.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(role?.[0] ?? '-'),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);

    expect(statements.map((s) => [s.Sid, [s.Action].flat().sort()])).toEqual([
      ['ReadKillFlagAndFlattenRequest', ['ssm:GetParameter', 'ssm:GetParameters']],
      ['ReadItsSecrets', ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']],
      ['DecryptSecretsViaSecretsManager', ['kms:Decrypt']],
      ['PageOnBrokerTokenFailure', ['sns:Publish']],
      ['EncryptPagesViaSns', ['kms:Decrypt', 'kms:GenerateDataKey']],
    ]);
    expect(statements[3].Resource).toEqual({ Ref: pageTopicId() });
    expect(statements[4].Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'sns.ap-south-1.amazonaws.com' },
    });
    const ssmResources = JSON.stringify(statements[0].Resource);
    expect(ssmResources).toContain('TradingEnabled');
    expect(ssmResources).toContain('FlattenRequest');
    expect(statements[2].Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'secretsmanager.ap-south-1.amazonaws.com' },
    });
    expect(statements.every((s) => s.Resource !== '*')).toBe(true);
  });

  it('admits the API only from inside the VPC and reaches PostgreSQL on its port', () => {
    trading.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'algo-trading-prod-trading: the control API from inside the VPC',
      SecurityGroupIngress: [
        {
          CidrIp: '10.30.0.0/16',
          FromPort: 8000,
          ToPort: 8000,
          IpProtocol: 'tcp',
          Description: 'API from inside the VPC',
        },
      ],
    });
    trading.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 5433,
      ToPort: 5433,
      IpProtocol: 'tcp',
      SourceSecurityGroupId: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^TradingServiceSecurityGroup'), 'GroupId'],
      },
    });
  });

  it('keeps the control token in Secrets Manager, encrypted with the data key', () => {
    trading.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
      KmsKeyId: Match.anyValue(),
    });
  });
});

describe('trading service: LIVE needs a live broker', () => {
  // Each live broker's secrets and task environment: trading-live-brokers.test.ts.
  it('refuses LIVE with the paper broker at synth', () => {
    expect(() => buildStage({ stage: 'prod', mode: 'LIVE', broker: 'paper' })).toThrow(
      /broker: mode LIVE needs a live broker \(-c broker=kite\|upstox\|angelone\)/,
    );
  });

  it('refuses LIVE without the registered egress IPs at synth; PAPER prod synthesizes without', () => {
    expect(() => buildStage({ stage: 'prod', mode: 'LIVE', broker: 'kite' })).toThrow(
      /network\.registeredEgressIps: mode LIVE needs the 2 egress IP\(s\) of prod .*-c registeredEgressIps=/,
    );
    expect(() => buildStage({ stage: 'prod' }).app.synth()).not.toThrow();
  });

  it('creates no broker secret and sets BROKER=paper on the paper broker', () => {
    const paper = Template.fromStack(buildStage({ stage: 'prod' }).stacks.trading);

    expect(JSON.stringify(paper.toJSON())).not.toContain('/broker/');
    expect(JSON.stringify(paper.findResources('AWS::ECS::TaskDefinition'))).toContain(
      '{"Name":"BROKER","Value":"paper"}',
    );
  });
});
