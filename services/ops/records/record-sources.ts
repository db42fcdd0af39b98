import { isIsoDate } from '../../../contract/dates';
import type { RecordKind } from './record-files';

/** What a day's records cover: the trading day (fills) and the cut-off window (the rest). */
export interface RecordWindow {
  readonly day: string;
  /** ISO 8601 UTC; null: from the beginning (the first day of the chain takes all history). */
  readonly from: string | null;
  /** ISO 8601 UTC, exclusive. */
  readonly to: string;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const utc = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const ist = (column: string) =>
  `to_char(${column} AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM-DD HH24:MI:SS.US')`;

/** A literal for COPY, which takes no bind parameters: only values checked here get in. */
function timeLiteral(iso: string): string {
  if (!ISO_UTC.test(iso)) throw new Error(`invalid records window bound ${JSON.stringify(iso)}`);
  return `'${iso}'::timestamptz`;
}

function inWindow(column: string, w: RecordWindow): string {
  const upper = `${column} < ${timeLiteral(w.to)}`;
  return w.from === null ? upper : `${column} >= ${timeLiteral(w.from)} AND ${upper}`;
}

/**
 * The SELECT behind each kind, in a stable order (the same rows give the same bytes, so a day
 * written again can be compared byte for byte). Times in UTC and IST.
 */
export function recordQuery(kind: RecordKind, w: RecordWindow): string {
  if (!isIsoDate(w.day)) throw new Error(`invalid trading day ${JSON.stringify(w.day)}`);
  switch (kind) {
    case 'order-events':
      // Every state change of every order, with the order's terms and the reject reason.
      return `SELECT e.id AS event_id, ${utc('e.occurred_at')} AS occurred_at_utc,
               ${ist('e.occurred_at')} AS occurred_at_ist, e.order_id, o.client_order_id,
               e.trading_day, o.strategy_id, o.algo_id, o.symbol, o.side, o.order_type, o.quantity,
               o.limit_price, o.stop_price, o.reduce_only, e.previous_status, e.status,
               e.status_reason, e.filled_quantity, e.avg_fill_price, e.broker_order_id
          FROM order_events e JOIN orders o ON o.id = e.order_id
         WHERE ${inWindow('e.occurred_at', w)} ORDER BY e.id`;
    case 'fills':
      return `SELECT f.id AS fill_id, f.broker_fill_id, f.trading_day,
               ${utc('f.filled_at')} AS filled_at_utc, ${ist('f.filled_at')} AS filled_at_ist,
               f.order_id, o.client_order_id, o.broker_order_id, f.strategy_id, o.algo_id,
               f.symbol, f.side,
               f.quantity, f.price, f.realized_pnl, f.closes_position
          FROM fills f JOIN orders o ON o.id = f.order_id
         WHERE f.trading_day = '${w.day}'::date ORDER BY f.id`;
    case 'risk-events':
      return `SELECT id, ${utc('occurred_at')} AS occurred_at_utc,
               ${ist('occurred_at')} AS occurred_at_ist, kind, rule, strategy_id, symbol,
               detail::text AS detail
          FROM risk_events WHERE ${inWindow('occurred_at', w)} ORDER BY id`;
    case 'control-audit':
      // Every field the row's hash covers, so the chain can be checked from the records alone.
      return `SELECT id, ${utc('occurred_at')} AS occurred_at_utc, actor, source, action, reason,
               stage, before_state::text AS before_state, after_state::text AS after_state,
               outcome, result::text AS result, prev_hash, hash
          FROM control_audit WHERE ${inWindow('occurred_at', w)} ORDER BY id`;
    case 'checklist-reports':
      // A run is recorded once it has finished (its row is written at the end).
      return `SELECT r.id, r.procedure, r.trading_day, ${utc('r.started_at')} AS started_at_utc,
               ${utc('r.finished_at')} AS finished_at_utc, r.status, r.triggered_by, r.summary,
               r.report_key,
               (SELECT coalesce(jsonb_agg(jsonb_build_object('name', c.name, 'severity',
                         c.severity, 'status', c.status, 'detail', c.detail, 'durationMs',
                         c.duration_ms, 'data', c.data) ORDER BY c.position), '[]'::jsonb)
                  FROM checklist_results c WHERE c.run_id = r.id)::text AS results
          FROM checklist_runs r
         WHERE r.finished_at IS NOT NULL AND ${inWindow('r.finished_at', w)}
         ORDER BY r.finished_at, r.id`;
  }
}

/** The COPY that streams a kind as CSV (RFC 4180, with a header). */
export function recordCopySql(kind: RecordKind, w: RecordWindow): string {
  return `COPY (${recordQuery(kind, w)}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
}
