import { snapshotIdentifier } from '../../../contract/names';
import { verifyAuditChain } from '../../common/db/audit';
import { formatIst } from '../../common/time';
import { verifyExport } from '../export/export-files';
import { reconciliationProblems } from '../fleet/trading-tasks';
import type { OpsContext } from '../platform/ports';
import { verifyDayRecords } from '../records/stage-records';
import { type Check, fail, pass, skipped, warn } from './framework';
import { type ChecklistContext, firstTask, isDue, previousTradingDay } from './support';

export const daySummary: Check<ChecklistContext> = {
  name: 'day-summary',
  severity: 'MEDIUM',
  async run(ctx) {
    if (!ctx.db) return skipped('no database access');
    const { rows } = await ctx.db.query<{
      trades: string;
      realized: string | null;
      closing: string;
      winners: string;
    }>(
      `SELECT count(*) AS trades, sum(realized_pnl) AS realized,
              count(*) FILTER (WHERE closes_position) AS closing,
              count(*) FILTER (WHERE closes_position AND realized_pnl > 0) AS winners
         FROM fills WHERE trading_day = $1`,
      [ctx.day],
    );
    const r = rows[0];
    const trades = Number(r?.trades ?? 0);
    const closing = Number(r?.closing ?? 0);
    const realized = Number(r?.realized ?? 0);
    const winRate = closing ? (100 * Number(r?.winners ?? 0)) / closing : undefined;
    return pass(
      `${ctx.day}: ${trades} trades, realized INR ${realized.toFixed(2)}, win rate ${winRate === undefined ? 'n/a (no closed trade)' : `${winRate.toFixed(1)}% of ${closing} closed`}`,
      { trades, realizedInr: realized, closedTrades: closing, winRatePct: winRate },
    );
  },
};

export const positionsFlat: Check<ChecklistContext> = {
  name: 'positions-flat',
  severity: 'CRITICAL',
  async run(ctx) {
    if (!ctx.db) return skipped('no database access');
    const { rows } = await ctx.db.query<{ strategy_id: string; symbol: string; quantity: number }>(
      'SELECT strategy_id, symbol, quantity FROM positions WHERE quantity <> 0 ORDER BY 1, 2',
    );
    return rows.length
      ? fail(
          `${rows.length} position(s) open after the close: ${rows.map((p) => `${p.strategy_id}/${p.symbol} ${p.quantity}`).join(', ')}`,
          rows,
        )
      : pass('no open positions');
  },
};

export const errorScan: Check<ChecklistContext> = {
  name: 'error-scan',
  severity: 'MEDIUM',
  async run(ctx) {
    if (!ctx.logs) return skipped('no log source');
    const hours = ctx.settings.errorScanHours;
    const since = ctx.now() - hours * 3_600_000;
    const lines = await ctx.logs.lines({ sinceMs: since, pattern: 'ERROR', limit: 1000 });
    if (lines.length === 0) return pass(`no ERROR in the last ${hours} h`);
    const byStream = new Map<string, number>();
    for (const l of lines) {
      const service = l.stream.split('/')[0] ?? l.stream;
      byStream.set(service, (byStream.get(service) ?? 0) + 1);
    }
    const counts = [...byStream].map(([s, n]) => `${s} ${n}`).join(', ');
    return warn(
      `${lines.length}${lines.length >= 1000 ? '+' : ''} ERROR line(s) in the last ${hours} h (${counts}); latest: ${lines.at(-1)?.message.slice(0, 200)}`,
      {
        counts: Object.fromEntries(byStream),
        samples: lines.slice(-5).map((l) => ({ ...l, at: formatIst(l.timestamp) })),
      },
    );
  },
};

/**
 * The evening checklist (16:00) runs before its own day's export (16:05) and backup (16:30):
 * until they are due it checks the previous trading day's, so that a missed one still shows.
 */
function dueDay(ctx: ChecklistContext, which: 'tradeExport' | 'records' | 'databaseBackup') {
  return isDue(ctx, which)
    ? { day: ctx.day, note: '' }
    : {
        day: previousTradingDay(ctx),
        note: ` (today's runs at ${ctx.settings.schedules[which].time} IST)`,
      };
}

export const exportVerified: Check<ChecklistContext> = {
  name: 'export-verified',
  severity: 'HIGH',
  async run(ctx) {
    const { day, note } = dueDay(ctx, 'tradeExport');
    const check = await verifyExport(ctx.objects, day);
    return check.ok
      ? pass(`export of ${day} verified: ${check.detail}${note}`)
      : fail(`export of ${day}: ${check.detail}${note}`);
  },
};

/** The records procedure's last due day read back, with its link to the day before. */
export const recordsVerified: Check<ChecklistContext> = {
  name: 'records-verified',
  severity: 'HIGH',
  timeoutMs: 5 * 60_000,
  async run(ctx) {
    const { day, note } = dueDay(ctx, 'records');
    const v = await verifyDayRecords(ctx, day);
    return v.ok
      ? pass(`records of ${day} verified: ${v.summary}${note}`)
      : fail(`records of ${day}: ${v.summary}${note}`, v.firstBroken);
  },
};

export const snapshotAvailable: Check<ChecklistContext> = {
  name: 'snapshot',
  severity: 'HIGH',
  async run(ctx) {
    if (!ctx.database) return skipped('no database admin access');
    const { day, note } = dueDay(ctx, 'databaseBackup');
    const id = snapshotIdentifier(ctx.stage, day);
    const s = await ctx.database.snapshot(id);
    if (!s) return fail(`${id} does not exist${note}`);
    if (s.status === 'available') return pass(`${id} available${note}`, s);
    return s.status === 'creating'
      ? warn(`${id} still creating (${s.percentProgress ?? '?'}%)${note}`, s)
      : fail(`${id} is ${s.status}${note}`, s);
  },
};

export const fillsReconciled: Check<ChecklistContext> = {
  name: 'fills-reconciled',
  severity: 'HIGH',
  async run(ctx) {
    const task = await firstTask(ctx);
    if (!task) return fail('no trading task running to reconcile with the broker');
    const problems = reconciliationProblems(await ctx.trading.reconciliation(task.url));
    return problems.length
      ? fail(`not reconciled with the broker: ${problems.join('; ')}`)
      : pass('positions and fills match the broker; no unacknowledged order');
  },
};

export const auditChain: Check<ChecklistContext> = {
  name: 'audit-chain',
  severity: 'HIGH',
  async run(ctx) {
    if (!ctx.db) return skipped('no database access');
    const v = await verifyAuditChain(ctx.db);
    return v.ok
      ? pass(`${v.rows} rows, head ${v.headHash?.slice(0, 12) ?? '(empty)'}`)
      : fail(`broken at row ${v.firstBroken.id}: ${v.firstBroken.problem}`, v);
  },
};

/**
 * The daily logout SEBI's framework requires: every named session of the stage's broker ended at
 * the broker through its login's `logout` (Kite `invalidateAccessToken`, Upstox `DELETE
 * /v2/logout`, Angel One `logout`). A logout that could not be done is a FAIL.
 */
export const brokerLogout: Check<ChecklistContext> = {
  name: 'broker-logout',
  severity: 'HIGH',
  async run(ctx) {
    if (!ctx.tokens) return skipped('paper broker: no broker session to log out');
    const { config, login } = ctx.tokens;
    const results = await Promise.allSettled(config.names.map((name) => login.logout(name)));
    const failed = results.flatMap((r) =>
      r.status === 'rejected'
        ? [r.reason instanceof Error ? r.reason.message : String(r.reason)]
        : [],
    );
    const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const loggedOut = done.filter((r) => r.outcome === 'LOGGED_OUT').map((r) => r.name);
    const none = done.filter((r) => r.outcome === 'NO_TOKEN').map((r) => r.name);
    const summary = [
      loggedOut.length
        ? `${config.broker} logged out: ${loggedOut.join(', ')}`
        : 'no session logged out',
      none.length ? `no token stored: ${none.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return failed.length ? fail(`${failed.join('; ')}; ${summary}`, done) : pass(summary, done);
  },
};

/** The evening checklist of product.md (16:00 IST). */
export const EVENING_CHECKS: readonly Check<ChecklistContext>[] = [
  daySummary,
  positionsFlat,
  errorScan,
  exportVerified,
  recordsVerified,
  snapshotAvailable,
  fillsReconciled,
  auditChain,
];

/** The evening checklist of a stage: a live broker's ends with the daily logout; paper's does not. */
export function eveningChecks(ctx: OpsContext): readonly Check<ChecklistContext>[] {
  return ctx.tokens ? [...EVENING_CHECKS, brokerLogout] : EVENING_CHECKS;
}
