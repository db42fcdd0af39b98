import { brokerTokens } from '../checks/morning-checks';
import type { OpsContext } from '../platform/ports';
import { type ChecklistReport, runChecklist, type ScheduledRequest } from './checklist';

/**
 * The token check (07:30 IST): every named broker token valid past today's close. A failure
 * pages: there is time to renew the tokens before the morning checklist and the open.
 */
export function tokenCheck(ctx: OpsContext, request: ScheduledRequest): Promise<ChecklistReport> {
  return runChecklist(ctx, [brokerTokens], {
    procedure: 'token-check',
    pageOn: ['FAIL'],
    ...request,
  });
}
