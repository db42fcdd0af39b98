import type {
  AlgoHaltView,
  BrokerHealthView,
  CallerIdentity,
  CircuitBreakerView,
  FeedView,
  FlattenView,
  OrderView,
  PositionView,
  RateLimitView,
  ReconciliationView,
  TaskState,
  TradeView,
} from '../../../contract/trading-api';

/** A non-2xx answer, with its body's message. */
export class TradingApiError extends Error {
  override readonly name = 'TradingApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * The trading service's control API, task by task (the emergency stop must reach each one).
 * Every call has a timeout; POSTs carry the bearer token.
 */
export class TradingClient {
  constructor(
    private readonly token: () => Promise<string>,
    private readonly timeoutMs = 5000,
    /** Set where the tasks cannot be reached (outside the VPC): every call says so. */
    readonly unreachableBecause?: string,
  ) {}

  /** A client for a caller that cannot reach the tasks at all. */
  static unreachable(because: string): TradingClient {
    return new TradingClient(async () => '', 0, because);
  }

  state(url: string): Promise<TaskState> {
    return this.get(url, '/state');
  }

  async positions(url: string): Promise<PositionView[]> {
    return (await this.get<{ positions: PositionView[] }>(url, '/positions')).positions;
  }

  async workingOrders(url: string): Promise<OrderView[]> {
    return (await this.get<{ orders: OrderView[] }>(url, '/orders?status=WORKING')).orders;
  }

  reconciliation(url: string): Promise<ReconciliationView> {
    return this.get(url, '/api/reconciliation');
  }

  broker(url: string): Promise<BrokerHealthView> {
    return this.get(url, '/api/health/broker');
  }

  async feeds(url: string): Promise<FeedView[]> {
    return (await this.get<{ feeds: FeedView[] }>(url, '/api/health/feeds')).feeds;
  }

  async circuitBreakers(url: string): Promise<CircuitBreakerView[]> {
    return (
      await this.get<{ circuitBreakers: CircuitBreakerView[] }>(url, '/api/health/circuit-breakers')
    ).circuitBreakers;
  }

  async rateLimits(url: string): Promise<RateLimitView[]> {
    return (await this.get<{ rateLimits: RateLimitView[] }>(url, '/api/health/rate-limits'))
      .rateLimits;
  }

  async trades(url: string, date: string): Promise<TradeView[]> {
    return (await this.get<{ trades: TradeView[] }>(url, `/trades?date=${date}`)).trades;
  }

  halt(url: string, who: CallerIdentity): Promise<{ state: string }> {
    return this.post(url, '/control/halt', who);
  }

  /** One algo's halt on that task (and, through its row, on every task). */
  haltAlgo(url: string, who: CallerIdentity, algoId: string): Promise<AlgoHaltView> {
    return this.post(url, '/control/halt', { ...who, algoId });
  }

  pause(url: string, who: CallerIdentity): Promise<{ state: string }> {
    return this.post(url, '/pause', who);
  }

  unpause(url: string, who: CallerIdentity): Promise<{ state: string }> {
    return this.post(url, '/resume', who);
  }

  /** Closes the positions the task holds: every one, or with `algoId` that algo's only. */
  flatten(
    url: string,
    who: CallerIdentity,
    dryRun: boolean,
    algoId?: string,
  ): Promise<FlattenView> {
    return this.post(url, `/flatten?dryRun=${dryRun}`, algoId ? { ...who, algoId } : who);
  }

  resetRiskHalt(url: string, who: CallerIdentity): Promise<{ state: string; cleared?: unknown }> {
    return this.post(url, '/risk/reset', who);
  }

  private async get<T>(url: string, path: string): Promise<T> {
    return this.send<T>(`${url}${path}`, { method: 'GET' });
  }

  private async post<T>(url: string, path: string, body: unknown): Promise<T> {
    return this.send<T>(`${url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await this.token()}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
  }

  private async send<T>(url: string, init: RequestInit): Promise<T> {
    if (this.unreachableBecause)
      throw new TradingApiError(`${url} not reachable: ${this.unreachableBecause}`, 0);
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON
      }
      throw new TradingApiError(`${init.method} ${url}: ${res.status} ${message}`, res.status);
    }
    return JSON.parse(text) as T;
  }
}
