import type { Queryable } from './queryable';

/** One algo's last halt or resume: who, why and when. */
export interface AlgoHalt {
  readonly algoId: string;
  readonly reason: string;
  readonly by: string;
  readonly at: Date;
}

/** An algo's row: halted now, or resumed (`at` is then when it was resumed). */
export interface AlgoHaltRow extends AlgoHalt {
  readonly halted: boolean;
}

/**
 * Every algo ever halted, halted now or resumed since (`algo_halts`, migration 0010): read by
 * every trading task each second and by the ops procedures; the one module on that table.
 */
export async function readAlgoHalts(db: Queryable): Promise<AlgoHaltRow[]> {
  const { rows } = await db.query<{
    algo_id: string;
    halted: boolean;
    reason: string;
    updated_by: string;
    updated_at: Date;
  }>('SELECT algo_id, halted, reason, updated_by, updated_at FROM algo_halts ORDER BY algo_id');
  return rows.map((r) => ({
    algoId: r.algo_id,
    halted: r.halted,
    reason: r.reason,
    by: r.updated_by,
    at: r.updated_at,
  }));
}

/**
 * Halts (`halted`) or clears an algo; returns whether it was halted before, for the audit row.
 * One statement, so two writers (an ops procedure and a task) cannot interleave.
 */
export async function setAlgoHalt(
  db: Queryable,
  algoId: string,
  halted: boolean,
  by: string,
  reason: string,
): Promise<{ readonly wasHalted: boolean }> {
  const { rows } = await db.query<{ was: boolean | null }>(
    `WITH before AS (SELECT halted FROM algo_halts WHERE algo_id = $1 FOR UPDATE)
     INSERT INTO algo_halts (algo_id, halted, reason, updated_by, updated_at)
     VALUES ($1, $2, $3, $4, now())
     ON CONFLICT (algo_id) DO UPDATE SET halted = EXCLUDED.halted, reason = EXCLUDED.reason,
       updated_by = EXCLUDED.updated_by, updated_at = now()
     RETURNING (SELECT halted FROM before) AS was`,
    [algoId, halted, reason, by],
  );
  return { wasHalted: rows[0]?.was === true };
}
