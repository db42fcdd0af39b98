import type { TradingState } from './domain';

/** A service-wide control: who set it, why and when. */
export interface Control {
  readonly by: string;
  readonly reason: string;
  /** Epoch ms. */
  readonly at: number;
  readonly detail?: Record<string, unknown>;
}

export interface StateTransition {
  readonly from: TradingState;
  readonly to: TradingState;
  /** Why the service is now in `to`. */
  readonly cause: string;
  readonly at: number;
}

export interface FlagInput {
  enabled(): boolean;
  snapshot(): { reason: string };
}

/**
 * ACTIVE / PAUSED / HALTED / HARD_HALT, derived from the inputs in that order of precedence:
 * a risk halt, then the flag (or shutdown), then pause. `state()` is computed on every call, so
 * an order never sees a state older than its inputs; `update()` reports changes.
 */
export class TradingStateMachine {
  private last: TradingState = 'HALTED';
  private lastCause = 'starting: no flag read yet';
  private since: number;
  private paused?: Control;
  private riskHalt?: Control;
  private shutdown?: string;

  constructor(
    private readonly flag: FlagInput,
    private readonly onTransition: (transition: StateTransition) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.since = now();
  }

  state(): TradingState {
    if (this.riskHalt) return 'HARD_HALT';
    if (this.shutdown !== undefined || !this.flag.enabled()) return 'HALTED';
    if (this.paused) return 'PAUSED';
    return 'ACTIVE';
  }

  cause(state: TradingState = this.state()): string {
    switch (state) {
      case 'HARD_HALT':
        return `risk halt: ${this.riskHalt?.reason ?? 'unknown'} (set by ${this.riskHalt?.by ?? 'unknown'})`;
      case 'HALTED':
        return this.shutdown !== undefined
          ? `shutting down: ${this.shutdown}`
          : this.flag.snapshot().reason;
      case 'PAUSED':
        return `paused by ${this.paused?.by ?? 'unknown'}: ${this.paused?.reason ?? ''}`;
      case 'ACTIVE':
        return 'flag is "true", not paused, no risk halt';
    }
  }

  /** Recomputes the state; returns (and reports) the transition if it changed. */
  update(): StateTransition | undefined {
    const state = this.state();
    if (state === this.last) return undefined;
    const transition: StateTransition = {
      from: this.last,
      to: state,
      cause: this.cause(state),
      at: this.now(),
    };
    this.last = state;
    this.lastCause = transition.cause;
    this.since = transition.at;
    this.onTransition(transition);
    return transition;
  }

  setPaused(control: Control | undefined): StateTransition | undefined {
    this.paused = control;
    return this.update();
  }

  setRiskHalt(control: Control | undefined): StateTransition | undefined {
    this.riskHalt = control;
    return this.update();
  }

  beginShutdown(reason: string): StateTransition | undefined {
    this.shutdown = reason;
    return this.update();
  }

  snapshot() {
    return {
      state: this.last,
      cause: this.lastCause,
      since: this.since,
      paused: this.paused,
      riskHalt: this.riskHalt,
      shuttingDown: this.shutdown !== undefined,
    };
  }
}
