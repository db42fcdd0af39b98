import type { Check } from '../../services/ops/checks/framework';
import type { ChecklistContext } from '../../services/ops/checks/support';
import type { OpsContext } from '../../services/ops/platform/ports';
import { evaluateChecklist } from '../../services/ops/procedures/checklist';
import { runScheduled } from '../../services/ops/procedures/scheduled';
import { context, resetAwsOpsFixtures } from './aws-ops-fixtures';

beforeEach(resetAwsOpsFixtures);

describe('the NSE calendar decides which days a procedure runs (2026 holidays)', () => {
  const noChecks: Check<ChecklistContext>[] = [
    { name: 'ran', severity: 'LOW', run: async () => ({ status: 'PASS', detail: 'ran' }) },
  ];
  const ctx = (): OpsContext => context();

  it.each([
    ['2026-11-24', 'SKIPPED', /NSE holiday: Prakash Gurpurb/],
    ['2026-12-25', 'SKIPPED', /NSE holiday: Christmas/],
    ['2026-11-28', 'SKIPPED', /weekend/],
    ['2026-11-23', 'PASS', /1 passed/],
  ])('%s: %s', async (date, status, summary) => {
    const report = await evaluateChecklist(ctx(), noChecks, {
      procedure: 'evening-checklist',
      date,
      triggeredBy: 'scheduler',
    });
    expect(report.status).toBe(status);
    expect(report.summary).toMatch(summary);
    expect(report.results).toHaveLength(status === 'SKIPPED' ? 0 : 1);
  });

  it('runs on a holiday when forced', async () => {
    const report = await evaluateChecklist(ctx(), noChecks, {
      procedure: 'evening-checklist',
      date: '2026-11-24',
      force: true,
      triggeredBy: 'oncall',
    });
    expect(report.status).toBe('PASS');
  });

  it('runs maintenance only when the market is closed (Saturday yes, Monday no)', async () => {
    const on = (date: string) =>
      evaluateChecklist(ctx(), noChecks, {
        procedure: 'maintenance',
        date,
        runsOn: 'non-trading-days',
        triggeredBy: 'scheduler',
      });
    expect((await on('2026-11-28')).status).toBe('PASS');
    expect((await on('2026-11-23')).summary).toMatch(/is a trading day/);
  });

  it('rejects a date that is not a real YYYY-MM-DD, naming it, before running anything', async () => {
    await expect(runScheduled(ctx(), 'evening-checklist', { date: '2026-02-30' })).rejects.toThrow(
      'Invalid evening-checklist event: date: date must be a real date as YYYY-MM-DD (got "2026-02-30")',
    );
    await expect(runScheduled(ctx(), 'token-check', { force: 'yes' })).rejects.toThrow(/force/);
    await expect(runScheduled(ctx(), 'token-check', { extra: 1 })).rejects.toThrow(/extra/);
  });
});
