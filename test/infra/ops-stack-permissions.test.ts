import { Match } from 'aws-cdk-lib/assertions';
import { SCHEDULED, synthProdOps } from './ops-stack-fixtures';

// What each ops function's role may do: the emergency stop's and control function's grants,
// decrypts, wildcards, and the audit spool in the data bucket.
describe('ops stack (prod)', () => {
  const { ops, fn, statementsOf, bySid } = synthProdOps();

  it('lets the emergency stop write only the flag and the flatten request, scale only the trading service, write only incidents/ and page', () => {
    const s = bySid('EmergencyStop');

    expect(s.KillFlagAndFlattenRequest?.Action).toContain('ssm:PutParameter');
    expect(JSON.stringify(s.KillFlagAndFlattenRequest?.Resource)).toMatch(
      /TradingEnabled.*FlattenRequest|FlattenRequest.*TradingEnabled/,
    );
    expect(s.KillFlagAndFlattenRequest?.Resource).toHaveLength(2);
    expect(s.TradingService?.Action).toEqual(
      expect.arrayContaining(['ecs:UpdateService', 'ecs:TagResource']),
    );
    expect(JSON.stringify(s.TradingService?.Resource)).not.toContain('dashboard');
    expect(s.DescribeDashboardService).toMatchObject({
      Action: 'ecs:DescribeServices',
      Resource:
        'arn:aws:ecs:ap-south-1:123456789012:service/algo-trading-prod-cluster/algo-trading-prod-dashboard',
    });
    expect(s.FindTradingTasks).toMatchObject({
      Action: 'ecs:ListTasks',
      Resource: '*',
      Condition: { ArnEquals: { 'ecs:cluster': expect.anything() } },
    });
    expect(s.DescribeTradingTasks?.Resource).toBe(
      'arn:aws:ecs:ap-south-1:123456789012:task/algo-trading-prod-cluster/*',
    );
    expect(s.WriteReports?.Resource).toBe(
      'arn:aws:s3:::algo-trading-prod-data-123456789012/incidents/*',
    );
    expect(s.Publish?.Action).toBe('sns:Publish');
    expect(JSON.stringify(s.Publish?.Resource)).not.toMatch(/Notify/);
    expect(s.ReadStageAlarms?.Resource).toBe(
      'arn:aws:cloudwatch:ap-south-1:123456789012:alarm:algo-trading-prod-*',
    );
  });

  it('does not let the control function scale the service or write to the bucket', () => {
    const s = bySid('Control');

    expect(s.TradingService?.Action).toEqual(['ecs:DescribeServices', 'ecs:ListTagsForResource']);
    expect(s.WriteReports).toBeUndefined();
    expect(s.ReadServiceLogs).toBeUndefined();
  });

  it('scopes every decrypt to the service that needs it', () => {
    for (const prefix of ['EmergencyStop', 'ResumeTrading', 'Control']) {
      for (const statement of statementsOf(prefix).filter((s) =>
        JSON.stringify(s.Action).includes('kms:'),
      )) {
        expect(statement.Condition?.StringEquals?.['kms:ViaService']).toMatch(
          /^(secretsmanager|s3|sns)\.ap-south-1\.amazonaws\.com$/,
        );
      }
    }
  });

  it('uses "*" only for actions that have no resource type', () => {
    const allowed = [
      'DatabaseMetrics',
      'FindTradingTasks',
      'ListRevisions',
      'ReadDashboardTargets',
      'Tracing',
      'VpcNetworkInterfaces',
    ];
    for (const prefix of ['EmergencyStop', 'ResumeTrading', 'Control', 'Admin', ...SCHEDULED]) {
      const wildcard = statementsOf(prefix).filter((s) => s.Resource === '*');
      expect(wildcard.map((s) => s.Sid).filter((sid) => !allowed.includes(sid))).toEqual([]);
    }
  });

  describe('audit spool (audit-spool/ in the data bucket)', () => {
    const bucketArn = 'arn:aws:s3:::algo-trading-prod-data-123456789012';
    const spooled = `${bucketArn}/audit-spool/*`;
    const AUDITING = ['EmergencyStop', 'ResumeTrading', 'Control', 'Admin', 'MorningChecklist'];
    /** Every s3 action of a function, with its resource and condition. */
    const s3Grants = (prefix: string) =>
      statementsOf(prefix).flatMap((st) =>
        [st.Action]
          .flat()
          .filter((a) => a.startsWith('s3:'))
          .map((action) => ({ action, resource: st.Resource, condition: st.Condition })),
      );

    /** Asserts that a policy of the role the function runs as has these statements. */
    const expectRoleStatements = (prefix: string, statements: unknown[]) => {
      const [, resource] = fn(prefix);
      const roleId = resource.Properties.Role['Fn::GetAtt'][0];

      ops.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId }],
        PolicyDocument: { Statement: Match.arrayWith(statements) },
      });
    };

    it.each(AUDITING)('lets %s put, read and delete objects under audit-spool/ only', (prefix) => {
      expectRoleStatements(prefix, [
        Match.objectLike({
          Action: Match.arrayWith(['s3:DeleteObject*', 's3:PutObject']),
          Resource: spooled,
        }),
        { Sid: 'ReadAuditSpool', Effect: 'Allow', Action: 's3:GetObject', Resource: spooled },
      ]);
    });

    it.each(AUDITING)('lets %s list the bucket only under the audit-spool/ prefix', (prefix) => {
      expectRoleStatements(prefix, [
        {
          Sid: 'ListAuditSpool',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: bucketArn,
          Condition: { StringLike: { 's3:prefix': 'audit-spool/*' } },
        },
      ]);
      // Nothing else reaches the bucket itself: no s3:List* or s3:GetBucket* from a read grant.
      const onBucket = s3Grants(prefix).filter((g) => g.resource === bucketArn);
      expect(onBucket).toEqual([
        {
          action: 's3:ListBucket',
          resource: bucketArn,
          condition: { StringLike: { 's3:prefix': 'audit-spool/*' } },
        },
      ]);
    });

    it('decrypts spooled objects with the data key only through S3', () => {
      for (const prefix of ['Control', 'Admin']) {
        expect(bySid(prefix).EncryptReports).toMatchObject({
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Condition: { StringEquals: { 'kms:ViaService': 's3.ap-south-1.amazonaws.com' } },
        });
      }
    });

    it('gives the scheduled functions that do not audit no access to the spool', () => {
      for (const prefix of SCHEDULED.filter((p) => !AUDITING.includes(p))) {
        const grants = s3Grants(prefix);
        expect(grants.filter((g) => JSON.stringify(g.resource).includes('audit-spool'))).toEqual(
          [],
        );
        expect(grants.filter((g) => g.resource === bucketArn)).toEqual([]);
        expect(grants.map((g) => g.action)).not.toContain('s3:DeleteObject*');
      }
    });
  });
});
