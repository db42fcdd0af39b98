import type { FaultState } from '../shared/faults';
import type { SimInstrument } from '../shared/instruments';
import type { OrderEngine } from '../shared/order-engine';
import type { PriceWalk } from '../shared/price-walk';
import type { SlidingWindow } from '../shared/rate-limit';
import type { EnginePlacement, SimOrder } from '../shared/sim-order';
import type { UpstoxSessions } from './session';
import type { UpstoxStreams } from './streams';

/** The simulator's parts, as the routes and the control handle share them. */
export interface UpstoxSimContext {
  readonly sessions: UpstoxSessions;
  readonly engine: OrderEngine;
  readonly walk: PriceWalk;
  readonly streams: UpstoxStreams;
  readonly faults: FaultState;
  readonly orderRequestsPerSecond: SlidingWindow;
  instrumentByKey(key: string): SimInstrument | undefined;
  /** Places through the engine; its refusals become Upstox errors. */
  place(fields: EnginePlacement, source: SimOrder['source']): SimOrder;
  /** Runs an engine call, turning its refusals into Upstox's envelope. */
  guard<T>(call: () => T): T;
  positions(): unknown[];
  /** Advances the price walk one step, matches resting orders and publishes ticks. */
  step(): void;
}
