import { EVENING_CHECKS } from '../checks/evening-checks';
import type { OpsContext } from '../platform/ports';
import { type ChecklistReport, runChecklist, type ScheduledRequest } from './checklist';

/** The evening checklist (16:00 IST): PASS / WARN / FAIL, on the notify topic. */
export function eveningChecklist(
  ctx: OpsContext,
  request: ScheduledRequest,
): Promise<ChecklistReport> {
  return runChecklist(ctx, EVENING_CHECKS, {
    procedure: 'evening-checklist',
    afterClose: true,
    ...request,
  });
}
