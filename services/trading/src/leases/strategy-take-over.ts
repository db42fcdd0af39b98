import type { Logger } from 'pino';
import type { ControlActions } from '../controls/control-actions';
import type { FlattenRequests } from '../flag/flatten-requests';
import type { OrderManager, ReconcileReport } from '../oms/order-manager';
import type { LeaseEvents } from './lease-manager';

/** What taking a strategy over touches. */
export interface StrategyTakeOverDeps {
  readonly oms: OrderManager;
  readonly controls: Pick<ControlActions, 'riskHalt'>;
  readonly flattenRequests: Pick<FlattenRequests, 'evaluate'>;
  readonly log: Logger;
}

/**
 * What a task does when a strategy lease comes or goes: reconciles the strategy with the broker
 * (a position mismatch is a risk halt) and carries out a pending flatten request for it; on loss,
 * stops its orders. Keeps the last reconciliation of each strategy for `/state`.
 */
export class StrategyTakeOver implements LeaseEvents {
  private reconciled: ReconcileReport[] = [];

  constructor(private readonly deps: StrategyTakeOverDeps) {}

  /** The last reconciliation of each strategy this task took over. */
  reports(): readonly ReconcileReport[] {
    return this.reconciled;
  }

  async onAcquired(strategyId: string, fenceToken: number): Promise<void> {
    const { oms, controls, flattenRequests, log } = this.deps;
    const report = await oms.takeOver(strategyId);
    this.reconciled = [...this.reconciled.filter((r) => r.strategyId !== strategyId), report];
    log.info({ strategyId, fenceToken, report }, 'strategy lease acquired and reconciled');
    if (report.positionMismatches.length > 0) {
      await controls.riskHalt(
        'RECONCILIATION_MISMATCH',
        `positions differ from the broker for ${strategyId}`,
        { mismatches: report.positionMismatches },
      );
    }
    await flattenRequests.evaluate();
  }

  onLost(strategyId: string, why: string): void {
    this.deps.log.warn({ strategyId, why }, 'strategy lease lost: its orders stop here');
    this.deps.oms.release(strategyId);
  }
}
