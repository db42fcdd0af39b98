import type { FaultState } from '../shared/faults';
import type { OrderEngine } from '../shared/order-engine';
import type { PriceWalk } from '../shared/price-walk';
import type { SlidingWindow } from '../shared/rate-limit';
import type { SessionStore } from './session';
import type { TickerHub } from './ticker-hub';

/** The simulator's parts, as the route modules and the control handle share them. */
export interface SimContext {
  readonly sessions: SessionStore;
  readonly walk: PriceWalk;
  readonly engine: OrderEngine;
  readonly hub: TickerHub;
  readonly faults: FaultState;
  readonly orderRequestsPerSecond: SlidingWindow;
  readonly ordersPerMinute: SlidingWindow;
  /** Where `/connect/login` redirects with the request_token. */
  readonly redirectUrl: string;
  /** Advances the price walk one step, matches resting orders and publishes ticks. */
  step(): void;
}
