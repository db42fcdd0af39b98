import type { Side } from '../domain';
import type { Bar } from '../market/bars';

/** What a strategy wants; the engine sizes it and the risk check decides. */
export interface Signal {
  readonly symbol: string;
  /** ENTRY opens or adds with a protective stop; EXIT closes the strategy's whole position. */
  readonly kind: 'ENTRY' | 'EXIT';
  readonly side: Side;
  /** Required for an ENTRY. */
  readonly stopPrice?: number;
  readonly reason: string;
}

export interface Strategy {
  readonly id: string;
  readonly symbols: readonly string[];
  /** Share of the per-trade risk budget an entry may use. */
  readonly riskFraction: number;
  /** A new session (a new day, or the simulated session starting over): forget the day. */
  startSession(date: string): void;
  /** A completed one-minute bar of one of `symbols`, with the strategy's position in it. */
  onBar(bar: Bar, position: number): Signal | undefined;
}
