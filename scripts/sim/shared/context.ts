import type { FaultState } from './faults';
import type { OrderEngine } from './order-engine';
import type { PriceWalk } from './price-walk';
import type { SlidingWindow } from './rate-limit';
import type { EnginePlacement, SimOrder } from './sim-order';

/**
 * The parts of a simulator that renders the shared engine in a broker's JSON and streams (Upstox,
 * Angel One), as its routes and control handle share them.
 */
export interface EngineSimContext<Sessions, Streams> {
  readonly sessions: Sessions;
  readonly engine: OrderEngine;
  readonly walk: PriceWalk;
  readonly streams: Streams;
  readonly faults: FaultState;
  readonly orderRequestsPerSecond: SlidingWindow;
  /** Places through the engine; its refusals become the broker's errors. */
  place(fields: EnginePlacement, source: SimOrder['source']): SimOrder;
  /** Runs an engine call, turning its refusals into the broker's envelope. */
  guard<T>(call: () => T): T;
  positions(): unknown[];
  /** Advances the price walk one step, matches resting orders and publishes ticks. */
  step(): void;
}
