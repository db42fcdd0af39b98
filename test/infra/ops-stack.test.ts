import { Match, Template } from 'aws-cdk-lib/assertions';
import { SCHEDULED_PROCEDURE_NAMES } from '../../contract/scheduled-procedures';
import { expectStackSnapshot } from './snapshot';
import { buildStage } from './synth';

/** An IAM policy statement as synthesised. */
interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const SCHEDULED = [
  'TokenCheck',
  'MorningChecklist',
  'DeadlineCheck',
  'EveningChecklist',
  'TradeExport',
  'Records',
  'DatabaseBackup',
  'Maintenance',
];

describe('ops stack (prod)', () => {
  const { stacks } = buildStage({ stage: 'prod', account: '123456789012' });
  const ops = Template.fromStack(stacks.ops);
  const functions = ops.findResources('AWS::Lambda::Function');
  const fn = (prefix: string) => {
    const entry = Object.entries(functions).find(([id]) => id.startsWith(prefix));
    if (!entry) throw new Error(`no function ${prefix}`);
    return entry;
  };
  /** The statements of the role a function runs as. */
  const statementsOf = (prefix: string): Statement[] => {
    const [, resource] = fn(prefix);
    const roleId = resource.Properties.Role['Fn::GetAtt'][0];
    return Object.values(ops.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  };
  const bySid = (prefix: string): Partial<Record<string, Statement>> =>
    Object.fromEntries(statementsOf(prefix).map((s) => [s.Sid, s]));

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

  describe('scheduled procedures', () => {
    const schedules = Object.values(ops.findResources('AWS::Scheduler::Schedule'));
    const scheduleOf = (name: string) => {
      const found = schedules.find((r) => r.Properties.Name === `algo-trading-prod-${name}`);
      if (!found) throw new Error(`no schedule for ${name}`);
      return found.Properties;
    };
    const [deadLettersId] = Object.keys(ops.findResources('AWS::SQS::Queue', {})).filter((id) =>
      id.startsWith('ScheduleDeadLetters'),
    );

    // Every day: the handler asks the market calendar, so a Sunday Budget session runs them.
    it.each([
      ['token-check', 'cron(30 7 * * ? *)'],
      ['morning-checklist', 'cron(45 8 * * ? *)'],
      ['deadline-check', 'cron(5 9 * * ? *)'],
      ['evening-checklist', 'cron(0 16 * * ? *)'],
      ['trade-export', 'cron(5 16 * * ? *)'],
      ['database-backup', 'cron(30 16 * * ? *)'],
      ['maintenance', 'cron(0 6 ? * SAT *)'],
    ])('runs %s at %s in Asia/Kolkata, dead letters to the queue that pages', (name, cron) => {
      const schedule = scheduleOf(name);

      expect(schedule).toMatchObject({
        ScheduleExpression: cron,
        ScheduleExpressionTimezone: 'Asia/Kolkata',
        State: 'ENABLED',
        Target: {
          Input: JSON.stringify({ requestedBy: 'scheduler' }),
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] } },
        },
      });
      const fnId = (schedule.Target.Arn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
      const [, resource] = fn(fnId ?? '');
      expect(resource.Properties).toMatchObject({ Timeout: 900 });
      expect(resource.Properties.Environment.Variables).toMatchObject({
        PROCEDURE: name,
        SCHEDULES: expect.stringContaining('"morningChecklist":{"time":"08:45","days":"DAILY"}'),
      });
      // A run that throws: two retries by Lambda, then the same dead-letter queue.
      ops.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId },
        MaximumRetryAttempts: 2,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [deadLettersId, 'Arn'] } },
        },
      });
    });

    it('lets the scheduler invoke only the scheduled functions', () => {
      const invoke = Object.values(ops.findResources('AWS::IAM::Policy'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
        .filter((st) => [st.Action].flat().includes('lambda:InvokeFunction'));
      const targets = JSON.stringify(invoke.map((st) => st.Resource));
      for (const prefix of SCHEDULED) expect(targets).toContain(prefix);
      for (const prefix of ['EmergencyStop', 'ResumeTrading', 'Control', 'Admin'])
        expect(targets).not.toContain(prefix);
    });

    const actionsOf = (prefix: string) =>
      statementsOf(prefix).flatMap((st) =>
        [st.Action].flat().map((a) => ({ action: a, resource: JSON.stringify(st.Resource) })),
      );
    const can = (prefix: string, action: string) =>
      actionsOf(prefix)
        .filter((a) => a.action === action)
        .map((a) => a.resource);

    it('lets only the backup delete snapshots, and only this stage backup snapshots', () => {
      for (const prefix of [...SCHEDULED, 'EmergencyStop', 'ResumeTrading', 'Control', 'Admin']) {
        const deletes = can(prefix, 'rds:DeleteDBSnapshot');
        if (prefix === 'DatabaseBackup') {
          expect(deletes).toHaveLength(1);
          expect(deletes[0]).toContain('snapshot:algo-trading-prod-backup-*');
        } else expect(deletes).toEqual([]);
      }
      expect(can('Maintenance', 'rds:CreateDBSnapshot').join()).toContain(
        'snapshot:algo-trading-prod-backup-*',
      );
      expect(can('MorningChecklist', 'rds:CreateDBSnapshot')).toEqual([]);
    });

    it('restores only to new instances named <db>-restored-*, from the admin function', () => {
      const restore = can('Admin', 'rds:RestoreDBInstanceFromDBSnapshot').join();
      expect(restore).toContain('db:algo-trading-prod-db-restored-*');
      expect(restore).not.toMatch(/db:algo-trading-prod-db"/);
      for (const prefix of SCHEDULED)
        expect(can(prefix, 'rds:RestoreDBInstanceFromDBSnapshot')).toEqual([]);
    });

    it('scopes objects per function: the export writes exports/, the evening checklist only reads it', () => {
      expect(can('TradeExport', 's3:PutObject').join()).toMatch(/exports\/\*.*reports\/\*/);
      expect(can('EveningChecklist', 's3:PutObject').join()).not.toContain('exports/');
      expect(can('EveningChecklist', 's3:GetObject').join()).toContain('exports/*');
      expect(can('TokenCheck', 's3:PutObject').join()).not.toContain('exports/');
    });

    it('lets only the morning checklist (readiness gate) write the flag among the scheduled ones', () => {
      for (const prefix of SCHEDULED) {
        expect(can(prefix, 'ssm:PutParameter').length > 0).toBe(prefix === 'MorningChecklist');
      }
    });
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

    it.each(AUDITING)('lets %s put, read and delete objects under audit-spool/ only', (prefix) => {
      const [, resource] = fn(prefix);
      const roleId = resource.Properties.Role['Fn::GetAtt'][0];

      ops.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['s3:DeleteObject*', 's3:PutObject']),
              Resource: spooled,
            }),
            { Sid: 'ReadAuditSpool', Effect: 'Allow', Action: 's3:GetObject', Resource: spooled },
          ]),
        },
      });
    });

    it.each(AUDITING)('lets %s list the bucket only under the audit-spool/ prefix', (prefix) => {
      const [, resource] = fn(prefix);
      const roleId = resource.Properties.Role['Fn::GetAtt'][0];

      ops.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'ListAuditSpool',
              Effect: 'Allow',
              Action: 's3:ListBucket',
              Resource: bucketArn,
              Condition: { StringLike: { 's3:prefix': 'audit-spool/*' } },
            },
          ]),
        },
      });
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
