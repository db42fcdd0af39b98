import type { ControlActions } from './controls/control-actions';
import type { OrderRequest } from './domain';
import type { Metrics } from './metrics/metrics';
import type { SubmitResult } from './oms/order-manager';
import type { TradingViews } from './views/trading-views';

/** Who asked for a control action, and why: every one is audited. */
export interface Actor {
  readonly requestedBy: string;
  readonly reason: string;
}

/** A strategy reload: in LIVE, with the second person who approved it. */
export interface ReloadRequest extends Actor {
  readonly approvedBy?: string;
}

/** An action refused by a rule (not by its input): audited as REFUSED, nothing changed. */
export class ControlRefused extends Error {
  override readonly name = 'ControlRefused';
}

/** The control actions of the API (each audited). */
export type TradingControls = Pick<
  ControlActions,
  | 'pause'
  | 'unpause'
  | 'pushHalt'
  | 'flatten'
  | 'resetRiskHalt'
  | 'reloadUniverse'
  | 'reloadStrategies'
  | 'resetBreaker'
>;

/** The read views of the API. */
export type TradingReads = Pick<
  TradingViews,
  | 'ready'
  | 'tradingDay'
  | 'strategyIds'
  | 'instrument'
  | 'stateView'
  | 'positionsView'
  | 'workingOrders'
  | 'orders'
  | 'trades'
  | 'reconciliationView'
  | 'brokerView'
  | 'feedsView'
  | 'breakersView'
  | 'rateLimitsView'
>;

/**
 * The one interface the HTTP layer (and anything else outside the service) depends on: reads,
 * audited control actions, manual orders, the metrics it counts requests in. The order manager,
 * the repository and the engine stay behind it.
 */
export interface TradingApi extends TradingControls, TradingReads {
  /** Request counters and the Prometheus page. */
  readonly metrics: Metrics;
  /** A manual order (or one a procedure sends), through the same pre-trade checks as any. */
  submitOrder(request: OrderRequest): Promise<SubmitResult>;
  /** A route met the database down: it becomes an input of the trading state at once. */
  reportDatabaseError(error: unknown): void;
}
