import { verifyAuditChain } from '../../common/db/audit';
import { messageOf } from '../../common/errors';
import { MarketCalendar } from '../../common/market-calendar';
import { formatIst, istDate } from '../../common/time';
import type { OpsContext } from '../../ops/platform/ports';
import type { TaskState } from '../../ops/platform/trading-client';
import { status } from '../../ops/procedures/status';

const calendar = new MarketCalendar();

/** A part of a page that could not be read says why, and the rest of the page still shows. */
async function part<T>(read: () => Promise<T>): Promise<T | { readonly error: string }> {
  try {
    return await read();
  } catch (error) {
    return { error: messageOf(error) };
  }
}

/** The trading tasks that answer, with their state: every view reads through them. */
async function liveTasks(ctx: OpsContext) {
  const report = await status(ctx);
  const live = report.tasks.filter(
    (t): t is typeof t & { state: TaskState } => t.state !== undefined,
  );
  return { report, live };
}

/** Status: mode, state, the flag and who set it, market and IST clock, risk, broker. */
export async function statusView(ctx: OpsContext) {
  const { report, live } = await liveTasks(ctx);
  const first = live[0]?.state;
  const now = ctx.now();
  const day = calendar.day(istDate(now));
  return {
    stage: report.stage,
    at: report.at,
    istNow: formatIst(now),
    mode: first?.mode ?? 'UNKNOWN',
    // Unknown is halted: no task answering is shown as such, never as ACTIVE.
    state: first?.state ?? 'UNKNOWN',
    cause: first?.cause ?? 'no trading task answers',
    flag: report.flag,
    market: first?.market ?? { open: false, nowIst: formatIst(now), date: istDate(now) },
    tradingDay: day.kind,
    paused: first?.paused ?? null,
    riskHalt: first?.riskHalt ?? null,
    broker: first?.broker ?? null,
    service: report.service,
    tasks: report.tasks.map((t) => ({
      taskId: t.taskId,
      state: t.state?.state ?? 'UNREACHABLE',
      cause: t.state?.cause ?? t.error ?? '',
      positions: t.state?.openPositions ?? null,
      working: t.state?.workingOrders ?? null,
    })),
  };
}

/** Positions and working orders of every task (each task owns its strategies). */
export async function positionsView(ctx: OpsContext) {
  const { live } = await liveTasks(ctx);
  const perTask = await Promise.all(
    live.map(async (t) => ({
      positions: await ctx.trading.positions(t.url),
      orders: await ctx.trading.workingOrders(t.url),
    })),
  );
  const positions = perTask.flatMap((p) => p.positions).filter((p) => p.quantity !== 0);
  return {
    positions,
    orders: perTask.flatMap((p) => p.orders),
    unrealizedInr: Math.round(positions.reduce((s, p) => s + p.unrealizedPnl, 0) * 100) / 100,
  };
}

/** P&L samples of today, taken by the server as it polls (the chart's points). */
export class PnlHistory {
  private readonly points: Array<{ at: number; pnlInr: number }> = [];
  private day = '';

  add(at: number, pnlInr: number): void {
    const today = istDate(at);
    if (today !== this.day) {
      this.points.length = 0;
      this.day = today;
    }
    this.points.push({ at, pnlInr });
    // A point every few seconds for a whole day stays small; cap it anyway.
    if (this.points.length > 20_000) this.points.splice(0, this.points.length - 20_000);
  }

  today(): ReadonlyArray<{ at: number; pnlInr: number }> {
    return this.points;
  }
}

/** One point of the day's P&L chart, taken in the background whoever is looking. */
export async function samplePnl(ctx: OpsContext, history: PnlHistory): Promise<void> {
  const { live } = await liveTasks(ctx);
  if (live.length)
    history.add(
      ctx.now(),
      live.reduce((s, t) => s + t.state.pnl.dailyInr, 0),
    );
}

/** Performance: P&L over the day, trades and win rate, heat against its cap, loss-stop room. */
export async function performanceView(ctx: OpsContext, history: PnlHistory) {
  const { live } = await liveTasks(ctx);
  const date = istDate(ctx.now());
  const trades = (await Promise.all(live.map((t) => ctx.trading.trades(t.url, date)))).flat();
  const closing = trades.filter((t) => t.closes_position);
  const wins = closing.filter((t) => t.realized_pnl > 0).length;
  const pnl = live.reduce((s, t) => s + t.state.pnl.dailyInr, 0);
  const pnlPct = live.reduce((s, t) => s + t.state.pnl.dailyPct, 0);
  const first = live[0]?.state;
  const lossStopPct = first?.pnl.dailyLossStopPct ?? null;
  return {
    date,
    pnlInr: Math.round(pnl * 100) / 100,
    pnlPct: Math.round(pnlPct * 100) / 100,
    series: history.today(),
    trades: trades.length,
    closedTrades: closing.length,
    winRatePct: closing.length ? Math.round((wins / closing.length) * 1000) / 10 : null,
    heatPct: live.reduce((s, t) => s + t.state.heat.pct, 0),
    heatCapPct: first?.heat.capPct ?? null,
    lossStopPct,
    // How much more the day may lose before the stop, in percent of capital.
    lossStopRoomPct: lossStopPct === null ? null : Math.round((lossStopPct + pnlPct) * 100) / 100,
  };
}

/** Health: feeds, breakers, rate limits, the latest checklist reports, alarms in ALARM. */
export async function healthView(ctx: OpsContext) {
  const { live } = await liveTasks(ctx);
  const url = live[0]?.url;
  const fromTask = <T>(read: (url: string) => Promise<T>) =>
    part(async () => {
      if (!url) throw new Error('no trading task answers');
      return read(url);
    });
  const [feeds, circuitBreakers, rateLimits, checklists, alarms] = await Promise.all([
    fromTask((u) => ctx.trading.feeds(u)),
    fromTask((u) => ctx.trading.circuitBreakers(u)),
    fromTask((u) => ctx.trading.rateLimits(u)),
    part(() => latestChecklists(ctx)),
    part(async () => (ctx.alarms ? ctx.alarms.inAlarm() : [])),
  ]);
  return { feeds, circuitBreakers, rateLimits, checklists, alarms };
}

/** The latest run of each daily checklist, with every check. */
async function latestChecklists(ctx: OpsContext) {
  if (!ctx.db) throw new Error('no database access');
  const { rows } = await ctx.db.query<{
    id: string;
    procedure: string;
    trading_day: string;
    finished_at: Date | null;
    status: string;
    summary: string | null;
    results: Array<{ name: string; severity: string; status: string; detail: string }> | null;
  }>(
    `SELECT DISTINCT ON (r.procedure) r.id, r.procedure, r.trading_day::text, r.finished_at,
            r.status, r.summary,
            (SELECT json_agg(json_build_object('name', c.name, 'severity', c.severity,
                                               'status', c.status, 'detail', c.detail)
                             ORDER BY c.position)
               FROM checklist_results c WHERE c.run_id = r.id) AS results
       FROM checklist_runs r
      WHERE r.procedure IN ('morning-checklist', 'evening-checklist', 'readiness')
      ORDER BY r.procedure, r.started_at DESC`,
  );
  return rows.map((r) => ({
    procedure: r.procedure,
    tradingDay: r.trading_day,
    finishedAt: r.finished_at ? formatIst(r.finished_at.getTime()) : null,
    status: r.status,
    summary: r.summary,
    results: r.results ?? [],
  }));
}

/** Audit: the control_audit log, newest first, and whether the hash chain holds. */
export async function auditView(ctx: OpsContext, limit = 100) {
  if (!ctx.db) throw new Error('no database access');
  const [{ rows }, chain] = await Promise.all([
    ctx.db.query<{
      id: string;
      occurred_at: Date;
      actor: string;
      source: string;
      action: string;
      reason: string;
      outcome: string;
      before_state: unknown;
      after_state: unknown;
    }>(
      `SELECT id, occurred_at, actor, source, action, reason, outcome, before_state, after_state
         FROM control_audit ORDER BY id DESC LIMIT $1`,
      [limit],
    ),
    verifyAuditChain(ctx.db),
  ]);
  return {
    chain,
    rows: rows.map((r) => ({ ...r, occurred_at: formatIst(r.occurred_at.getTime()) })),
  };
}
