import type { FaultState } from '../kite/faults';
import type { SimInstrument } from '../kite/instruments';
import type { OrderEngine, SimOrder } from '../kite/order-engine';
import type { PlaceOrderFields } from '../kite/order-schemas';
import type { PriceWalk } from '../kite/price-walk';
import type { SlidingWindow } from '../kite/rate-limit';
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
  place(fields: Record<string, string>, source: SimOrder['source']): SimOrder;
  /** Runs an engine call, turning its refusals into Upstox's envelope. */
  guard<T>(call: () => T): T;
  positions(): unknown[];
  /** Advances the price walk one step, matches resting orders and publishes ticks. */
  step(): void;
}

export type { PlaceOrderFields };
