import type { Logger } from 'pino';
import type { AnyStage } from '../../../../contract/names';
import type { AuditEntry } from '../../../common/db/audit';
import { auditOrDefer, type FileAuditSpool } from '../../../common/db/audit-spool';
import type { Actor } from '../api';
import type { DatabaseHealth } from '../health/database-health';
import { summarizeFlatten } from '../oms/flatten-summary';
import type { FlattenResult } from '../oms/order-manager';
import type { TradingDatabase } from '../oms/order-repository';

/** Who the audit rows name and where they go. */
export interface AuditorDeps {
  readonly stage: AnyStage;
  readonly taskId: string;
  readonly db: TradingDatabase;
  /** Whether PostgreSQL answers: while it does not, rows go straight to the spool. */
  readonly database: DatabaseHealth;
  /** Audit rows of actions taken while PostgreSQL is unreachable, written when it returns. */
  readonly spool: FileAuditSpool;
  readonly log: Logger;
}

/**
 * Writes the audit row of every action the service takes, asked for or on its own. An action
 * has already happened when its row is written, so a failed write is logged, never thrown.
 */
export class Auditor {
  constructor(private readonly deps: AuditorDeps) {}

  /** The service itself as the actor of what it does on its own (square-off, loss stop). */
  self(reason: string): Actor {
    return { requestedBy: `trading-service/${this.deps.taskId}`, reason };
  }

  /** A flatten's row: its summary, PARTIAL when a leg failed. */
  flatten(actor: Actor, action: string, result: FlattenResult, before?: unknown): Promise<void> {
    return this.record(
      actor,
      action,
      before,
      summarizeFlatten(result),
      result.failed.length ? 'PARTIAL' : 'OK',
    );
  }

  /** One audit row, written now or spooled while the database is down. */
  async record(
    actor: Actor,
    action: string,
    before: unknown,
    after: unknown,
    outcome: AuditEntry['outcome'] = 'OK',
  ): Promise<void> {
    const { deps } = this;
    const entry: AuditEntry = {
      actor: actor.requestedBy,
      source: 'service',
      action,
      reason: actor.reason,
      stage: deps.stage,
      before,
      after,
      outcome,
      result: { taskId: deps.taskId },
    };
    try {
      // Straight to the spool while the database is known to be down: no connection attempt.
      const db = deps.database.reachable() ? deps.db.durable : undefined;
      const write = await auditOrDefer(db, deps.spool, entry);
      if (!write.written)
        deps.log.warn({ action, because: write.deferredBecause }, 'audit deferred');
    } catch (err) {
      // The action happened; losing its audit row is itself worth an alarm (ERROR in the logs).
      deps.log.error({ err, entry }, 'writing the audit row failed');
    }
  }
}
