import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics';
import type { OrderManager } from '../oms/order-manager';
import { STATE_CODE, type StateTransition } from '../trading-state';
import type { Auditor } from './auditor';

/** What a change of trading state touches. */
export interface StateTransitionDeps {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly auditor: Auditor;
  readonly oms: Pick<OrderManager, 'cancelWorking'>;
  /** Whether the service has started: before that, there are no entries to cancel. */
  started(): boolean;
  /** Whether it is stopping: shutdown cancels every working order itself (one reason, in order). */
  stopping(): boolean;
}

/**
 * What follows a change of trading state: a log line, the state gauge and counter, an audit row,
 * and on a halt the cancelling of working entries (exits stay, they reduce risk).
 */
export function onStateTransition(deps: StateTransitionDeps): (t: StateTransition) => void {
  const { log, metrics, auditor, oms } = deps;
  return (t) => {
    const level = t.to === 'ACTIVE' ? 'info' : 'warn';
    log[level]({ from: t.from, to: t.to, cause: t.cause }, `trading state ${t.from} -> ${t.to}`);
    metrics.inc('algo_state_transitions_total', { to: t.to });
    metrics.set('algo_trading_state', STATE_CODE[t.to]);
    void auditor.record(
      auditor.self(t.cause),
      'state-transition',
      { state: t.from },
      { state: t.to },
    );
    if (deps.started() && !deps.stopping() && (t.to === 'HALTED' || t.to === 'HARD_HALT')) {
      void oms
        .cancelWorking('entries', `state ${t.to}: ${t.cause}`)
        .catch((err: unknown) => log.error({ err }, 'cancelling entries failed'));
    }
  };
}
