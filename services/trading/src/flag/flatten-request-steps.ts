import type { Logger } from 'pino';
import type { Auditor } from '../controls/auditor';
import type { ControlsRepository } from '../controls-repository';
import { type DatabaseHealth, isDatabaseUnavailable } from '../health/database-health';
import type { JournaledOrderRepository } from '../journal/journaled-repository';
import { summarizeFlatten } from '../oms/flatten-summary';
import type { OrderManager } from '../oms/order-manager';
import type { FlattenRequestDeps } from './flatten-requests';

/** Where a flatten request is claimed, carried out and recorded. */
export interface FlattenRequestStepsDeps {
  readonly taskId: string;
  readonly controls: ControlsRepository;
  readonly repo: JournaledOrderRepository;
  readonly database: DatabaseHealth;
  readonly oms: OrderManager;
  readonly auditor: Auditor;
  readonly log: Logger;
}

/**
 * The steps `FlattenRequests` runs for this task: claim in PostgreSQL (or, while it is
 * unreachable, through the lease and the journal), flatten through the order manager, then
 * record the result and audit it.
 */
export function flattenRequestSteps(
  deps: FlattenRequestStepsDeps,
): Pick<FlattenRequestDeps, 'claim' | 'flatten' | 'report'> {
  const { taskId, controls, repo, database, oms, auditor, log } = deps;
  return {
    claim: async (request, strategyIds) => {
      try {
        return await controls.claimFlattenRequest(request, strategyIds, taskId);
      } catch (error) {
        // Only the lease holder flattens a strategy, so the lease is the claim while the
        // database is unreachable; the claim row goes to the journal.
        if (!isDatabaseUnavailable(error)) throw error;
        database.report(error);
        await repo.recordFlattenClaim(request, strategyIds, taskId);
        return [...strategyIds];
      }
    },
    flatten: (request, only) =>
      oms.flatten(`flatten request ${request.id}: ${request.reason}`, false, {
        tag: request.id.slice(0, 12),
        only,
      }),
    report: async (request, strategies, result) => {
      await controls
        .recordFlattenResult(request.id, strategies, summarizeFlatten(result))
        .catch((err: unknown) => log.warn({ err }, 'flatten result not recorded; audited'));
      await auditor.flatten(
        {
          requestedBy: request.requester,
          reason: `flatten request ${request.id}: ${request.reason}`,
        },
        'flatten-request',
        result,
        { requestId: request.id, strategies },
      );
    },
  };
}
