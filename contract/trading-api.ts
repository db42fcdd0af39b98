/**
 * The trading service's HTTP API as its callers see it: the caller identity it audits and the views
 * it returns. The service's routes check their answers against these (services/trading/src/http),
 * and the ops TradingClient, the CLI and the dashboard read them, so both ends share one shape.
 */

/** Who asks, and why: the trading service audits every control call with these. */
export interface CallerIdentity {
  readonly requestedBy: string;
  readonly reason: string;
}

/** One configured algo of `GET /state`: its strategy and, while it is halted, who halted it. */
export interface AlgoView {
  readonly algoId: string;
  readonly strategyId: string;
  readonly halted: { readonly by: string; readonly reason: string; readonly at: string } | null;
}

/** `GET /state`: one task's trading state, flag, market, P&L and heat. */
export interface TaskState {
  readonly state: 'ACTIVE' | 'PAUSED' | 'HALTED' | 'HARD_HALT';
  readonly cause: string;
  readonly taskId: string;
  readonly mode: string;
  readonly flag: {
    readonly value?: string;
    readonly version?: number;
    readonly enabled: boolean;
    readonly reason: string;
  };
  readonly riskHalt: { readonly reason: string; readonly by: string } | null;
  readonly paused: { readonly reason: string; readonly by: string } | null;
  readonly market: {
    readonly open: boolean;
    readonly nowIst: string;
    /** The session clock's instant, ISO 8601 UTC (absent from a task of an older release). */
    readonly now?: string;
    readonly date: string;
  };
  readonly pnl: {
    readonly dailyInr: number;
    readonly dailyPct: number;
    readonly realizedInr: number;
    readonly unrealizedInr?: number;
    readonly dailyLossStopPct?: number;
  };
  readonly heat: { readonly pct: number; readonly capPct: number };
  readonly openPositions: number;
  readonly workingOrders: number;
  readonly strategies: { readonly configured: string[]; readonly held: string[] };
  /**
   * Each configured algo ID and its halt: a halted algo is a halt input of its strategy only
   * (absent from a task of an older release).
   */
  readonly algos?: readonly AlgoView[];
  readonly broker?: { readonly name: string; readonly connected: boolean };
}

/** One circuit breaker of `GET /api/health/circuit-breakers`. */
export interface CircuitBreakerView {
  readonly name: string;
  readonly state: string;
  readonly [detail: string]: unknown;
}

/** One upstream's rate-limit usage. */
export interface RateLimitView {
  readonly upstream: string;
  readonly usagePct: number;
  readonly [detail: string]: unknown;
}

/** One position of `GET /positions`, marked to the last price. */
export interface PositionView {
  readonly strategyId: string;
  readonly symbol: string;
  readonly quantity: number;
  readonly avgPrice: number;
  readonly lastPrice: number | null;
  readonly unrealizedPnl: number;
}

/** One order of `GET /orders`. */
export interface OrderView {
  readonly clientOrderId: string;
  readonly strategyId: string;
  /** The exchange algo ID the order was sent under, if any. */
  readonly algoId?: string;
  readonly symbol: string;
  readonly side: string;
  readonly quantity: number;
  readonly status: string;
  readonly reduceOnly: boolean;
}

/** What `POST /control/halt` with an `algoId` did on one task. */
export interface AlgoHaltView {
  readonly algoId: string;
  readonly halted: true;
  /** The strategies running under it. */
  readonly strategies: readonly string[];
  /** Whether the halt's row is in PostgreSQL (else it is applied on this task, and retried). */
  readonly stored: boolean;
  /** Working entries of the algo cancelled by the halt. */
  readonly cancelled: readonly string[];
  readonly failedCancels: readonly string[];
}

/** What `POST /flatten` did (or, in a dry run, would do). */
export interface FlattenView {
  readonly dryRun: boolean;
  readonly legs: ReadonlyArray<{
    strategyId: string;
    symbol: string;
    side: string;
    quantity: number;
    estimatedPnl?: number;
  }>;
  readonly cancelledEntries: readonly string[];
  readonly submitted: ReadonlyArray<{ clientOrderId: string }>;
  readonly failed: ReadonlyArray<{ reason: string }>;
}

/** Our positions against the broker's (`GET /api/reconciliation`). */
export interface ReconciliationView {
  readonly ok: boolean;
  readonly mismatches: ReadonlyArray<{ position: string; ours: number; broker: number }>;
  readonly uncertainOrders: readonly string[];
}

/** `GET /api/health/broker`: the broker's connection and token expiries. */
export interface BrokerHealthView {
  readonly name: string;
  readonly connected: boolean;
  readonly circuitBreaker: string;
  readonly tokens: ReadonlyArray<{ readonly name: string; readonly expiresAt: string }>;
}

/** One market-data feed's lag and status. */
export interface FeedView {
  readonly source: string;
  readonly tick_lag_sec: number | null;
  readonly depth_lag_sec: number | null;
  readonly status: 'FRESH' | 'STALE' | 'OUTDATED';
}

/** One trade of the day. */
export interface TradeView {
  readonly trade_id: string;
  readonly strategy_id: string;
  readonly algo_id?: string | null;
  readonly symbol: string;
  readonly side: string;
  readonly quantity: number;
  readonly price: number;
  readonly realized_pnl: number;
  readonly closes_position: boolean;
}
