import { eveningChecks } from '../checks/evening-checks';
import type { OpsContext } from '../platform/ports';
import { type ChecklistReport, runChecklist, type ScheduledRequest } from './checklist';

/**
 * The evening checklist (16:00 IST): PASS / WARN / FAIL, on the notify topic. On a live broker's
 * stage it ends with the daily logout (`broker-logout`), and the checks run one after the other so that
 * the logout comes after the reconciliation that asks the broker.
 */
export function eveningChecklist(
  ctx: OpsContext,
  request: ScheduledRequest,
): Promise<ChecklistReport> {
  return runChecklist(ctx, eveningChecks(ctx), {
    procedure: 'evening-checklist',
    afterClose: true,
    sequential: ctx.tokens !== undefined,
    ...request,
  });
}
