import type { Logger } from 'pino';
import type { FlattenRequest } from '../../../../contract/flatten-request';
import type { AlgoView } from '../../../../contract/trading-api';
import { type AlgoHalt, readAlgoHalts, setAlgoHalt } from '../../../common/db/algo-halts';
import type { Queryable } from '../../../common/db/queryable';
import { messageOf } from '../../../common/errors';
import type { Actor } from '../api';
import type { FlattenResult, OrderManager } from '../oms/order-manager';
import type { Auditor } from './auditor';

/** An algo ID this task has no strategy of: a 404 that names the ones it has. */
export class UnknownAlgoError extends Error {
  override readonly name = 'UnknownAlgoError';
  readonly statusCode = 404;
  constructor(algoId: string, known: readonly string[]) {
    super(
      `no strategy runs under algo ID "${algoId}"; configured: ${known.length ? known.join(', ') : 'none'}`,
    );
  }
}

export interface AlgoControlsDeps {
  readonly db: Queryable;
  readonly oms: OrderManager;
  readonly auditor: Auditor;
  readonly log: Logger;
}

/**
 * The per-algo kill switch inside a task, mirroring the exchange's: which strategy runs under
 * which algo ID, which algos are halted (PostgreSQL's `algo_halts`, read every second like pause),
 * and the halt and flatten of one algo. A halted algo's entries are refused; its exits go on.
 */
export class AlgoControls {
  /** Strategy id -> algo ID. */
  private algoOf = new Map<string, string>();
  private halts = new Map<string, AlgoHalt>();
  /** When each algo that is not halted was last resumed. */
  private resumedAt = new Map<string, number>();
  /** Halts applied here whose row is not written yet (the database was unreachable). */
  private readonly unwritten = new Map<string, AlgoHalt>();

  constructor(private readonly deps: AlgoControlsDeps) {}

  /** The strategies now configured (at start and on every reload). */
  setStrategies(configs: ReadonlyArray<{ readonly id: string; readonly algoId?: string }>): void {
    this.algoOf = new Map(
      configs.flatMap((c) => (c.algoId === undefined ? [] : [[c.id, c.algoId] as const])),
    );
  }

  algoIdOf(strategyId: string): string | undefined {
    return this.algoOf.get(strategyId);
  }

  /** The strategies of an algo ID (one, as the config requires); throws for an unknown ID. */
  strategiesOf(algoId: string): string[] {
    const strategies = [...this.algoOf].filter(([, a]) => a === algoId).map(([s]) => s);
    if (strategies.length === 0)
      throw new UnknownAlgoError(algoId, [...new Set(this.algoOf.values())]);
    return strategies;
  }

  /** Why this strategy's entries are refused by its algo's halt; undefined while it is not halted. */
  haltCause(strategyId: string): string | undefined {
    const algoId = this.algoOf.get(strategyId);
    const halt = algoId === undefined ? undefined : this.halts.get(algoId);
    return halt && `algo ${halt.algoId} (${strategyId}) is halted by ${halt.by}: ${halt.reason}`;
  }

  /** Every configured algo and its halt, for `/state`. */
  view(): AlgoView[] {
    return [...this.algoOf].map(([strategyId, algoId]) => {
      const h = this.halts.get(algoId);
      return {
        algoId,
        strategyId,
        halted: h ? { by: h.by, reason: h.reason, at: h.at.toISOString() } : null,
      };
    });
  }

  /** Reads the halted algos; first writes the halts applied here while the database was down. */
  async sync(): Promise<void> {
    for (const [algoId, h] of this.unwritten) {
      await setAlgoHalt(this.deps.db, algoId, true, h.by, h.reason);
      this.unwritten.delete(algoId);
    }
    const rows = await readAlgoHalts(this.deps.db);
    const halts = new Map<string, AlgoHalt>(rows.filter((r) => r.halted).map((h) => [h.algoId, h]));
    // A halt whose write is still in flight is not undone by a read that came before it.
    for (const [algoId, h] of this.unwritten) halts.set(algoId, h);
    this.halts = halts;
    this.resumedAt = new Map(rows.filter((r) => !r.halted).map((r) => [r.algoId, r.at.getTime()]));
  }

  /**
   * What a flatten request scoped to one algo (`kill --algo`) flattens here: its strategies, once
   * the algo is halted (the request halts it: it is the kill's way to tasks nothing else reaches).
   * A text instead says why the request is ignored: the algo was resumed after it was written, or
   * no strategy here runs under it.
   */
  async flattenScope(
    request: FlattenRequest,
    writtenAt: number,
  ): Promise<readonly string[] | string> {
    const algoId = request.algoId;
    if (algoId === undefined) return 'not scoped to an algo';
    if ((this.resumedAt.get(algoId) ?? 0) > writtenAt)
      return `algo ${algoId} was resumed after this request`;
    const strategies = [...this.algoOf].filter(([, a]) => a === algoId).map(([s]) => s);
    if (strategies.length === 0) return `no strategy of this task runs under algo ${algoId}`;
    if (!this.halts.has(algoId))
      await this.halt(
        {
          requestedBy: request.requester,
          reason: `flatten request ${request.id}: ${request.reason}`,
        },
        algoId,
      );
    return strategies;
  }

  /**
   * Halts one algo on this task now and for every task (the row), then cancels its working
   * entries. Applied before the row is written: a halt does not wait for the database (the row
   * is written on the next sync if it could not be now).
   */
  async halt(actor: Actor, algoId: string) {
    const { db, oms, auditor, log } = this.deps;
    const strategies = this.strategiesOf(algoId);
    const wasHalted = this.halts.has(algoId);
    const halt: AlgoHalt = { algoId, by: actor.requestedBy, reason: actor.reason, at: new Date() };
    this.halts.set(algoId, halt);
    this.unwritten.set(algoId, halt);
    const stored = await setAlgoHalt(db, algoId, true, actor.requestedBy, actor.reason).then(
      () => {
        this.unwritten.delete(algoId);
        return true;
      },
      (err: unknown) => {
        log.error({ err, algoId }, `algo halt applied here, not yet stored: ${messageOf(err)}`);
        return false;
      },
    );
    const cancelled = await oms.cancelWorking(
      'entries',
      `algo ${algoId} halted: ${actor.reason}`,
      strategies,
    );
    const after = {
      algoId,
      halted: true as const,
      strategies,
      stored,
      cancelled: cancelled.cancelled,
    };
    await auditor.record(
      actor,
      'algo-halt',
      { algoId, halted: wasHalted },
      after,
      stored && cancelled.failed.length === 0 ? 'OK' : 'PARTIAL',
    );
    return { ...after, failedCancels: cancelled.failed };
  }

  /** Closes the positions of one algo's strategies held here (a dry run only plans). */
  async flatten(actor: Actor, algoId: string, dryRun: boolean): Promise<FlattenResult> {
    const only = this.strategiesOf(algoId);
    const result = await this.deps.oms.flatten(`algo ${algoId}: ${actor.reason}`, dryRun, { only });
    if (!dryRun) await this.deps.auditor.flatten(actor, 'algo-flatten', result, { algoId, only });
    return result;
  }
}
