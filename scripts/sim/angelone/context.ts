import type { FaultState } from '../shared/faults';
import type { SimInstrument } from '../shared/instruments';
import type { OrderEngine } from '../shared/order-engine';
import type { PriceWalk } from '../shared/price-walk';
import type { SlidingWindow } from '../shared/rate-limit';
import type { EnginePlacement, SimOrder } from '../shared/sim-order';
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
  place(fields: EnginePlacement, source: SimOrder['source']): SimOrder;
  /** Runs an engine call, turning its refusals into Angel's envelope. */
  guard<T>(call: () => T): T;
  positions(): unknown[];
  /** Advances the price walk one step, matches resting orders and publishes ticks. */
  step(): void;
}
