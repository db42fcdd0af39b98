import { SCHEDULED, type Statement, synthProdOps } from './ops-stack-fixtures';

describe('ops stack (prod)', () => {
  const { ops, fn, statementsOf } = synthProdOps();

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
});
