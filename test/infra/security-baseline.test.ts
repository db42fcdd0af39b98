import { Template } from 'aws-cdk-lib/assertions';
import { STAGES } from '../../contract/stage';
import { buildStage } from './synth';

describe('security baseline', () => {
  it.each(STAGES)('synthesizes %s with no cdk-nag AwsSolutions errors', (stage) => {
    const { app } = buildStage({ stage, account: '123456789012' }, { nag: true });

    // Policy validation runs in synth and throws on any unacknowledged finding.
    expect(() => app.synth()).not.toThrow();
  });

  it('synthesizes prod LIVE on Kite with no cdk-nag AwsSolutions errors', () => {
    const { app } = buildStage(
      {
        stage: 'prod',
        account: '123456789012',
        mode: 'LIVE',
        broker: 'kite',
        registeredEgressIps: '13.232.1.1,13.232.1.2',
      },
      { nag: true },
    );

    expect(() => app.synth()).not.toThrow();
  });

  it('needs no look-ups, even with an explicit account', () => {
    const { app } = buildStage({ stage: 'prod', account: '123456789012' });

    const assembly = app.synth();

    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  it('grants no wildcard resource where a resource ARN exists', () => {
    const { stacks } = buildStage({ stage: 'prod' });
    for (const stack of Object.values(stacks)) {
      const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
      for (const [id, policy] of Object.entries(policies)) {
        for (const statement of policy.Properties.PolicyDocument.Statement) {
          const resources = [statement.Resource].flat();
          if (!resources.includes('*')) continue;
          // Only actions that AWS does not scope to a resource may use '*'.
          const actions: string[] = [statement.Action].flat();
          expect({ id, actions }).toEqual({ id, actions: actions.filter(isUnscopedAction) });
        }
      }
    }
  });
});

// Actions whose IAM resource type is "*" in the service authorization reference.
function isUnscopedAction(action: string): boolean {
  return [
    /^ec2:(Describe|CreateNetworkInterface|DeleteNetworkInterface|AssignPrivateIpAddresses|UnassignPrivateIpAddresses)/,
    /^logs:(DescribeLogGroups)$/,
    /^secretsmanager:GetRandomPassword$/,
    /^xray:/,
    /^cloudwatch:PutMetricData$/,
    /^ecr:GetAuthorizationToken$/,
    // No resource type; the policy scopes it with the ecs:cluster condition (asserted in ops-stack-permissions.test).
    /^ecs:ListTasks$/,
    /^ecs:ListTaskDefinitions$/,
    /^cloudwatch:GetMetricStatistics$/,
    /^elasticloadbalancing:Describe/,
  ].some((pattern) => pattern.test(action));
}
