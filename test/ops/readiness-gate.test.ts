import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetParametersCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import type { ChecklistContext } from '../../services/ops/checks/support';
import { morningChecklist } from '../../services/ops/procedures/morning';
import { runScheduled } from '../../services/ops/procedures/scheduled';
import { context, DAY, ecs, resetAwsOpsFixtures, s3, sns, ssm } from './aws-ops-fixtures';

beforeEach(resetAwsOpsFixtures);

describe('the readiness gate', () => {
  const failing: ChecklistContext = context();

  beforeEach(() => {
    // Nothing answers: every AWS check fails, so the run is NOT READY.
    ecs.on(DescribeServicesCommand).rejects(new Error('ECS unreachable'));
    ssm.on(GetParametersCommand).resolves({
      Parameters: [{ Name: '/algo-trading/prod/trading_enabled', Value: 'true', Version: 3 }],
    });
    ssm.on(PutParameterCommand).resolves({ Version: 4 });
    sns.on(PublishCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
  });

  it('keeps the flag false and pages when the morning is NOT READY', async () => {
    const ctx = { ...failing, settings: { ...failing.settings, readinessGate: true } };
    const report = await morningChecklist(ctx, { date: DAY, triggeredBy: 'scheduler' });

    expect(report.status).toBe('NOT_READY');
    expect(report.gate).toBe('flag set to false (it was "true")');
    expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toMatchObject({
      Name: '/algo-trading/prod/trading_enabled',
      Value: 'false',
      Overwrite: true,
    });
    const page = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(page?.TopicArn).toBe('arn:aws:sns:ap-south-1:1:page');
    expect(page?.Message).toMatch(/^\[P2\] readiness gate: flag set to false/);
    // No database here: the halt's audit row is spooled under audit-spool/, not lost.
    const spooled = s3
      .commandCalls(PutObjectCommand)
      .map((c) => c.args[0].input)
      .filter((input) => input.Key?.startsWith('audit-spool/'));
    expect(spooled).toHaveLength(1);
    expect(JSON.parse(String(spooled[0]?.Body))).toMatchObject({
      deferredBecause: 'no database access from here',
      entry: { actor: 'readiness-gate', action: 'halt', after: { flag: 'false' } },
    });
  });

  it('without the gate, pages but leaves the flag alone; health-check (gate: false) neither', async () => {
    const report = await morningChecklist(failing, { date: DAY, triggeredBy: 'scheduler' });
    expect(report.status).toBe('NOT_READY');
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.TopicArn).toMatch(/page$/);

    sns.resetHistory();
    const gated = { ...failing, settings: { ...failing.settings, readinessGate: true } };
    const check = await runScheduled(gated, 'morning-checklist', {
      gate: false,
      requestedBy: 'me',
    });
    expect(check).toMatchObject({ procedure: 'readiness', status: 'NOT_READY' });
    expect(check.reportKey).toMatch(/^reports\/readiness\/2026-11-23\/[0-9a-f-]+\.json$/);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.TopicArn).toMatch(/notify$/);
  });
});
