import type { FlattenRequest } from '../../../../contract/flatten-request';
import type { Metrics } from '../metrics/metrics';
import type { FlattenResult } from '../oms/order-manager';
import type { FlagSnapshot } from './flag-watcher';

/** What a flatten request came to, for `/state`. */
export interface FlattenRequestView {
  readonly request: FlattenRequest;
  /** When the parameter was written (epoch ms). */
  readonly writtenAt: number;
  outcome?: string;
}

export interface FlattenRequestDeps {
  readonly metrics: Metrics;
  /** Whether the service has started (reconciled) and may flatten. */
  started(): boolean;
  /** Strategies this task may send exits for now. */
  held(): string[];
  flag(): FlagSnapshot;
  /**
   * Claims the request for these strategies; returns those this task now owns the flattening of
   * (the others were carried out already, by this task or another). Throws when it cannot tell.
   */
  claim(request: FlattenRequest, strategyIds: readonly string[]): Promise<string[]>;
  flatten(request: FlattenRequest, strategyIds: readonly string[]): Promise<FlattenResult>;
  /**
   * What a request scoped to one algo flattens here (its strategies; the algo halted first), or
   * why it is ignored.
   */
  algoScope(request: FlattenRequest, writtenAt: number): Promise<readonly string[] | string>;
  /** Records and audits what the flatten did. */
  report(
    request: FlattenRequest,
    strategyIds: readonly string[],
    result: FlattenResult,
  ): Promise<void>;
}

const key = (requestId: string, strategyId: string) => `${requestId}\u0000${strategyId}`;

/**
 * The flatten request parameter: each held strategy is flattened once per request id. A
 * strategy counts as done only once its flatten was carried out (here, or claimed by another
 * task); anything that fails on the way (the claim, the flatten) is tried again on the next
 * read of the parameter, every poll, until it is done. A request older than a resume is ignored.
 */
export class FlattenRequests {
  private latest?: FlattenRequestView;
  /** Request/strategy pairs carried out. */
  private readonly done = new Set<string>();
  /** Pairs this task claimed but has not flattened yet (the claim row exists: it is ours). */
  private readonly claimedHere = new Set<string>();
  private running?: Promise<void>;

  constructor(private readonly deps: FlattenRequestDeps) {}

  view(): FlattenRequestView | null {
    return this.latest ?? null;
  }

  /** A read of the parameter saw this request. */
  onRequest(request: FlattenRequest, writtenAt: number): Promise<void> {
    if (this.latest?.request.id !== request.id) this.latest = { request, writtenAt };
    return this.evaluate();
  }

  /** Carries out what is still pending of the latest request; one run at a time. */
  evaluate(): Promise<void> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    const latest = this.latest;
    if (!latest || !this.deps.started()) return;
    const { request, writtenAt } = latest;
    let pending = this.deps.held().filter((s) => !this.done.has(key(request.id, s)));
    if (pending.length === 0) return;
    const ignore = (why: string) => {
      for (const s of pending) this.done.add(key(request.id, s));
      latest.outcome = `ignored: ${why}`;
      this.deps.metrics.inc('algo_flatten_requests_total', { outcome: 'ignored' });
    };
    if (request.algoId !== undefined) {
      // One algo's kill: the algo's own resume, not the flag, says when it is over.
      const scope = await this.deps.algoScope(request, writtenAt);
      if (typeof scope === 'string') return ignore(scope);
      pending = pending.filter((s) => scope.includes(s));
      if (pending.length === 0) return;
    } else {
      const flag = this.deps.flag();
      if (flag.enabled && (flag.lastModified ?? 0) > writtenAt)
        return ignore('trading was re-enabled after this request');
    }
    const toClaim = pending.filter((s) => !this.claimedHere.has(key(request.id, s)));
    const claimed = toClaim.length > 0 ? await this.deps.claim(request, toClaim) : [];
    for (const s of toClaim) {
      if (claimed.includes(s)) this.claimedHere.add(key(request.id, s));
      else this.done.add(key(request.id, s));
    }
    const mine = pending.filter((s) => this.claimedHere.has(key(request.id, s)));
    if (mine.length === 0) return;
    const result = await this.deps.flatten(request, mine);
    for (const s of mine) {
      this.claimedHere.delete(key(request.id, s));
      this.done.add(key(request.id, s));
    }
    latest.outcome = `flattened ${mine.join(', ')}: ${result.submitted.length} exits sent, ${result.failed.length} failed`;
    this.deps.metrics.inc('algo_flatten_requests_total', {
      outcome: result.failed.length ? 'partial' : 'ok',
    });
    await this.deps.report(request, mine, result);
  }
}
