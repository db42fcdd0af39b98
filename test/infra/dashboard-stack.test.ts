import { Match, Template } from 'aws-cdk-lib/assertions';
import { expectStackSnapshot } from './snapshot';
import { buildStage } from './synth';

interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const HTTPS_CONTEXT = {
  stage: 'prod',
  account: '123456789012',
  dashboardCertificateArn: 'arn:aws:acm:ap-south-1:123456789012:certificate/0f0e-11',
  dashboardDomainName: 'ops.desk.example',
  dashboardAllowedCidrs: '203.0.113.0/24,198.51.100.7/32',
};

describe('dashboard stack (prod, with a certificate)', () => {
  const { stacks } = buildStage(HTTPS_CONTEXT);
  const dashboard = Template.fromStack(stacks.dashboard);

  it('runs the dashboard on Fargate in the private subnets, logging to the shared group as "dashboard"', () => {
    dashboard.hasResourceProperties('AWS::ECS::Service', {
      ServiceName: 'algo-trading-prod-dashboard',
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }),
      },
      LoadBalancers: [Match.objectLike({ ContainerName: 'dashboard', ContainerPort: 3000 })],
    });
    const [taskDef] = Object.values(dashboard.findResources('AWS::ECS::TaskDefinition'));
    if (!taskDef) throw new Error('no task definition');
    const [container] = taskDef.Properties.ContainerDefinitions;
    expect(container).toMatchObject({
      Name: 'dashboard',
      ReadonlyRootFilesystem: true,
      User: 'node',
      PortMappings: [{ ContainerPort: 3000 }],
      LogConfiguration: {
        LogDriver: 'awslogs',
        Options: expect.objectContaining({ 'awslogs-stream-prefix': 'dashboard' }),
      },
      HealthCheck: { Command: expect.arrayContaining([expect.stringContaining('/health')]) },
    });
    const env = Object.fromEntries(
      (container.Environment as Array<{ Name: string; Value: unknown }>).map((e) => [
        e.Name,
        e.Value,
      ]),
    );
    expect(env).toMatchObject({ STAGE: 'prod', PORT: '3000' });
    // The identity is only trusted from this ALB.
    expect(JSON.stringify(env.ALB_ARN)).toContain('LoadBalancer');
  });

  it('gives the task role only what the pages and the buttons need', () => {
    const roles = dashboard.findResources('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('pages') },
    });
    const [roleId] = Object.keys(roles);
    const statements = Object.values(dashboard.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual([
      'DecryptSecretsViaSecretsManager',
      'DescribeTradingService',
      'DescribeTradingTasks',
      'FlagHistory',
      'InvokeTheButtonsFunctions',
      'ListTradingTasks',
      'OpsDiscovery',
      'ReadItsSecrets',
      'ReadStageAlarms',
    ]);
    expect(bySid.InvokeTheButtonsFunctions?.Action).toBe('lambda:InvokeFunction');
    expect(bySid.InvokeTheButtonsFunctions?.Resource).toHaveLength(3);
    const invoked = JSON.stringify(bySid.InvokeTheButtonsFunctions?.Resource);
    // The kill button invokes the emergency stop's warm alias, not the unqualified function.
    for (const fn of ['EmergencyStopLive', 'ResumeTradingFunction', 'ControlFunction']) {
      expect([fn, invoked.includes(fn)]).toEqual([fn, true]);
    }
    expect(invoked).not.toContain('EmergencyStopFunction');
    expect(bySid.ListTradingTasks?.Condition).toEqual({
      ArnEquals: { 'ecs:cluster': expect.anything() },
    });
    expect(bySid.FlagHistory?.Action).toBe('ssm:GetParameterHistory');
    // Its database secret only: no control token (a compromised dashboard cannot act unaudited).
    expect(bySid.ReadItsSecrets?.Resource).not.toBeInstanceOf(Array);
    expect(JSON.stringify(bySid.ReadItsSecrets?.Resource)).not.toContain('ControlToken');
    // Nothing that changes the flag, the service or the data directly: that goes through the functions.
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => /Put|Update|Delete|Create|Publish/.test(a))).toEqual([]);
  });

  it('serves HTTPS behind the ALB sign-in (Cognito), forwards only signed-in users, redirects HTTP', () => {
    dashboard.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    dashboard.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: HTTPS_CONTEXT.dashboardCertificateArn }],
      DefaultActions: [
        Match.objectLike({
          Type: 'authenticate-cognito',
          Order: 1,
          AuthenticateCognitoConfig: Match.objectLike({
            UserPoolArn: Match.anyValue(),
            UserPoolClientId: Match.anyValue(),
            UserPoolDomain: Match.anyValue(),
          }),
        }),
        Match.objectLike({ Type: 'forward', Order: 2 }),
      ],
    });
    // The page's API calls get 401 when the session has expired, not a redirect fetch cannot follow.
    dashboard.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
      Actions: [
        Match.objectLike({
          Type: 'authenticate-cognito',
          AuthenticateCognitoConfig: Match.objectLike({ OnUnauthenticatedRequest: 'deny' }),
        }),
        Match.objectLike({ Type: 'forward' }),
      ],
    });
    // A kill answers when its procedure has finished: minutes, not the default 60 s.
    dashboard.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'idle_timeout.timeout_seconds', Value: '960' },
      ]),
    });
    dashboard.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [
        Match.objectLike({
          Type: 'redirect',
          RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }),
        }),
      ],
    });
    dashboard.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
    });
    dashboard.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: true,
      CallbackURLs: ['https://ops.desk.example/oauth2/idpresponse'],
    });
    dashboard.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Name: 'algo-trading-prod-dashboard',
      Port: 3000,
      TargetType: 'ip',
      HealthCheckPath: '/health',
    });
  });

  it('lets in only the configured ranges, and the tasks only from the ALB', () => {
    const groups = Object.values(dashboard.findResources('AWS::EC2::SecurityGroup'));
    const alb = groups.find((g) => /load balancer/.test(g.Properties.GroupDescription));
    if (!alb) throw new Error('no load balancer security group');
    expect(
      (alb.Properties.SecurityGroupIngress as Array<{ CidrIp: string; FromPort: number }>)
        .map((r) => `${r.CidrIp}:${r.FromPort}`)
        .sort(),
    ).toEqual([
      '198.51.100.7/32:443',
      '198.51.100.7/32:80',
      '203.0.113.0/24:443',
      '203.0.113.0/24:80',
    ]);
    dashboard.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 3000,
      ToPort: 3000,
      SourceSecurityGroupId: Match.anyValue(),
    });
  });

  it('matches the dashboard snapshot', () => {
    expectStackSnapshot(stacks.dashboard);
  });
});

describe('dashboard stack with the desk OIDC provider', () => {
  it('authenticates with OIDC, the client secret from Secrets Manager', () => {
    const { stacks, config } = buildStage(HTTPS_CONTEXT, {
      nag: false,
      configure: (c) => ({
        ...c,
        dashboard: {
          ...c.dashboard,
          auth: {
            kind: 'oidc',
            issuer: 'https://login.desk.example',
            authorizationEndpoint: 'https://login.desk.example/authorize',
            tokenEndpoint: 'https://login.desk.example/token',
            userInfoEndpoint: 'https://login.desk.example/userinfo',
            clientId: 'dashboard',
            clientSecretName: 'algo-trading/prod/dashboard-oidc',
          },
        },
      }),
    });
    expect(config.dashboard.auth.kind).toBe('oidc');
    const template = Template.fromStack(stacks.dashboard);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      DefaultActions: [
        Match.objectLike({
          Type: 'authenticate-oidc',
          AuthenticateOidcConfig: Match.objectLike({
            Issuer: 'https://login.desk.example',
            ClientId: 'dashboard',
            ClientSecret: Match.stringLikeRegexp(
              'resolve:secretsmanager:algo-trading/prod/dashboard-oidc',
            ),
          }),
        }),
        Match.objectLike({ Type: 'forward' }),
      ],
    });
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
  });
});

describe('dashboard stack without a certificate', () => {
  it('serves HTTP with no sign-in (so the service refuses every API call) and says so', () => {
    const { stacks } = buildStage({ stage: 'dev' });
    const template = Template.fromStack(stacks.dashboard);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.hasOutput('DashboardUrl', {
      Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    });
  });

  it('refuses a certificate without the domain it is for', () => {
    expect(() =>
      buildStage({ stage: 'prod', dashboardCertificateArn: HTTPS_CONTEXT.dashboardCertificateArn }),
    ).toThrow(/dashboard.domainName: a certificate needs the domain name/);
  });
});
