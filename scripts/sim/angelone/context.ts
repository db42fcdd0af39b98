import type { FaultState } from '../kite/faults';
import type { SimInstrument } from '../kite/instruments';
import type { OrderEngine, SimOrder } from '../kite/order-engine';
import type { PriceWalk } from '../kite/price-walk';
import type { SlidingWindow } from '../kite/rate-limit';
import type { AngelSessions } from './session';
import type { AngelStreams } from './streams';

/** The simulator's parts, as the routes and the control handle share them. */
export interface AngelSimContext {
  readonly sessions: AngelSessions;
  readonly engine: OrderEngine;
  readonly walk: PriceWalk;
  readonly streams: AngelStreams;
  readonly faults: FaultState;
  readonly orderRequestsPerSecond: SlidingWindow;
  /** The instrument of an Angel `symboltoken`. */
  instrumentByToken(symbolToken: string): SimInstrument | undefined;
  /** Places through the engine; its refusals become Angel errors. */
  place(fields: Record<string, string>, source: SimOrder['source']): SimOrder;
  /** Runs an engine call, turning its refusals into Angel's envelope. */
  guard<T>(call: () => T): T;
  positions(): unknown[];
  /** Advances the price walk one step, matches resting orders and publishes ticks. */
  step(): void;
}
