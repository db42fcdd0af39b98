import type { TradingState } from './domain';

/** A service-wide control: who set it, why and when. */
export interface Control {
  readonly by: string;
  readonly reason: string;
  /** Epoch ms. */
  readonly at: number;
  readonly detail?: Record<string, unknown>;
}

/** The `algo_trading_state` gauge's value for each state (alarms compare against it). */
export const STATE_CODE: Record<TradingState, number> = {
  ACTIVE: 0,
  PAUSED: 1,
  HALTED: 2,
  HARD_HALT: 3,
};

/** Whether two readings of a control are the same setting (same author and reason, or both unset). */
export function sameControl(a?: Control, b?: Control): boolean {
  return (
    (a === undefined) === (b === undefined) &&
    (a === undefined || (a.by === b?.by && a.reason === b?.reason))
  );
}

export interface StateTransition {
  readonly from: TradingState;
  readonly to: TradingState;
  /** Why the service is now in `to`. */
  readonly cause: string;
  readonly at: number;
}

/**
 * A condition besides the flag that makes the service HALTED while it holds (the database is
 * unreachable, no strategy lease is held, a breaker is open). `cause` is cheap: it runs on every
 * order.
 */
export interface HaltInput {
  readonly name: string;
  /** Why trading is halted by this input, in words an operator can act on; undefined if not. */
  cause(): string | undefined;
}

/**
 * HALTED while the broker refuses our access token (`Broker.tokenProblem`), with the cause the
 * operator and the runbook's token procedure look for: "broker token invalid: <Kite's words>".
 */
export function brokerTokenInput(broker: { tokenProblem?(): string | undefined }): HaltInput {
  return {
    name: 'broker-token',
    cause: () => {
      const problem = broker.tokenProblem?.();
      return problem === undefined ? undefined : `broker token invalid: ${problem}`;
    },
  };
}

export interface FlagInput {
  enabled(): boolean;
  snapshot(): { reason: string };
}

/**
 * ACTIVE / PAUSED / HALTED / HARD_HALT, derived from the inputs in that order of precedence:
 * a risk halt, then the flag (or shutdown) and the halt inputs, then pause. `state()` is computed on every call, so
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
    private readonly inputs: readonly HaltInput[] = [],
  ) {
    this.since = now();
  }

  state(): TradingState {
    if (this.riskHalt) return 'HARD_HALT';
    if (this.shutdown !== undefined || !this.flag.enabled()) return 'HALTED';
    for (const input of this.inputs) if (input.cause() !== undefined) return 'HALTED';
    if (this.paused) return 'PAUSED';
    return 'ACTIVE';
  }

  cause(state: TradingState = this.state()): string {
    switch (state) {
      case 'HARD_HALT':
        return `risk halt: ${this.riskHalt?.reason ?? 'unknown'} (set by ${this.riskHalt?.by ?? 'unknown'})`;
      case 'HALTED':
        if (this.shutdown !== undefined) return `shutting down: ${this.shutdown}`;
        if (!this.flag.enabled()) return this.flag.snapshot().reason;
        return this.inputs.map((i) => i.cause()).find((c) => c !== undefined) ?? 'unknown';
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

  /** Every halt input with its cause (null while it does not halt), for `/state`. */
  inputStates(): Array<{ name: string; ok: boolean; cause: string | null }> {
    return this.inputs.map((i) => {
      const cause = i.cause();
      return { name: i.name, ok: cause === undefined, cause: cause ?? null };
    });
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
