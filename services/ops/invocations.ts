import type { Queryable } from '../common/db/queryable';
import type { OpsContext } from './platform/ports';
import { type ProcedureResult, StepFailure } from './steps/runner';

/*
 * The invocation table (`ops_invocations`): one row per de-duplication key of an event that may
 * be delivered again (an alarm's state change), claimed before acting and completed with the
 * result after.
 */

/** What an earlier delivery of the same event did, or is still doing. */
export interface EarlierRunView {
  readonly id: string;
  readonly detail: string;
}

/** A claim taken, or what the earlier delivery did. */
export type Claim =
  | { readonly claimed: true; readonly until: string }
  | ({ readonly claimed: false } & EarlierRunView);

/**
 * Claims `key` for the run `id` of `procedure`, in progress until the function's timeout
 * (`invocationExpiryMs` from now). A claim that expired (its run died mid-way) is taken over; a
 * live one is reported as in progress; a completed one returns the earlier result (Powertools
 * idempotency's semantics).
 */
export async function claimInvocation(
  db: Queryable,
  ctx: Pick<OpsContext, 'now' | 'settings'>,
  procedure: string,
  key: string,
  id: string,
): Promise<Claim> {
  const now = new Date(ctx.now());
  const until = new Date(now.getTime() + ctx.settings.invocationExpiryMs);
  const { rows } = await db.query<{ dedupe_key: string }>(
    `INSERT INTO ops_invocations (dedupe_key, procedure, result, created_at, in_progress_expiry)
     VALUES ($1, $5, $2, $3, $4)
     ON CONFLICT (dedupe_key) DO UPDATE
        SET result = EXCLUDED.result, created_at = EXCLUDED.created_at,
            in_progress_expiry = EXCLUDED.in_progress_expiry
      WHERE ops_invocations.in_progress_expiry IS NOT NULL
        AND ops_invocations.in_progress_expiry <= $3
     RETURNING dedupe_key`,
    [key, JSON.stringify({ id, outcome: 'RUNNING' }), now, until, procedure],
  );
  if (rows.length === 1) return { claimed: true, until: until.toISOString() };
  const earlier = await db.query<{
    result: { id: string; outcome: string };
    in_progress_expiry: Date | null;
  }>('SELECT result, in_progress_expiry FROM ops_invocations WHERE dedupe_key = $1', [key]);
  const row = earlier.rows[0];
  if (!row) throw new StepFailure(`dedupe claim of ${key} vanished; run the stop again`);
  return row.in_progress_expiry
    ? {
        claimed: false,
        id: row.result.id,
        detail: `in progress under ${row.result.id} until ${row.in_progress_expiry.toISOString()} (then a redelivery runs it again): nothing done now`,
      }
    : {
        claimed: false,
        id: row.result.id,
        detail: `already handled by ${row.result.id} (${row.result.outcome}): nothing done again`,
      };
}

/** Records the finished run's result under `key`: later deliveries return it. */
export async function recordInvocation(
  db: Queryable,
  key: string,
  result: ProcedureResult,
): Promise<void> {
  await db.query(
    'UPDATE ops_invocations SET result = $2, in_progress_expiry = NULL WHERE dedupe_key = $1',
    [key, JSON.stringify(result)],
  );
}
