import type { Pool } from 'pg';
import type { Control } from './trading-state';

export type ControlName = 'pause' | 'risk_halt';

/** Pause and the risk halt, shared by every task and kept across restarts. */
export class ControlsRepository {
  constructor(private readonly db: Pool) {}

  async read(): Promise<Partial<Record<ControlName, Control>>> {
    const { rows } = await this.db.query<{
      name: ControlName;
      active: boolean;
      detail: { reason?: string } & Record<string, unknown>;
      updated_by: string;
      updated_at: Date;
    }>('SELECT name, active, detail, updated_by, updated_at FROM service_controls');
    const out: Partial<Record<ControlName, Control>> = {};
    for (const r of rows) {
      if (!r.active) continue;
      out[r.name] = {
        by: r.updated_by,
        reason: r.detail.reason ?? '',
        at: r.updated_at.getTime(),
        detail: r.detail,
      };
    }
    return out;
  }

  async set(
    name: ControlName,
    active: boolean,
    by: string,
    detail: { reason: string } & Record<string, unknown>,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO service_controls (name, active, detail, updated_by, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (name) DO UPDATE SET active = EXCLUDED.active, detail = EXCLUDED.detail,
         updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [name, active, JSON.stringify(detail), by],
    );
  }

  /**
   * Claims a flatten request for these strategies; returns those this call claimed (the others
   * were handled already, by this task or another).
   */
  async claimFlattenRequest(
    request: { id: string; reason: string; requester: string },
    strategyIds: readonly string[],
    taskId: string,
  ): Promise<string[]> {
    if (strategyIds.length === 0) return [];
    const { rows } = await this.db.query<{ strategy_id: string }>(
      `INSERT INTO flatten_requests (request_id, strategy_id, reason, requester, handled_by)
       SELECT $1, s, $2, $3, $4 FROM unnest($5::text[]) AS s
       ON CONFLICT DO NOTHING RETURNING strategy_id`,
      [request.id, request.reason, request.requester, taskId, strategyIds],
    );
    return rows.map((r) => r.strategy_id);
  }

  async recordFlattenResult(
    requestId: string,
    strategyIds: readonly string[],
    result: unknown,
  ): Promise<void> {
    await this.db.query(
      'UPDATE flatten_requests SET result = $3 WHERE request_id = $1 AND strategy_id = ANY($2)',
      [requestId, strategyIds, JSON.stringify(result)],
    );
  }
}
