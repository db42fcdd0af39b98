import type { TaskState } from '../../../contract/trading-api';
import { loadMarketCalendar } from '../../common/calendar/calendar-store';
import { verifyAuditChain } from '../../common/db/audit';
import { messageOf } from '../../common/errors';
import { formatIst, istDate } from '../../common/time';
import type { OpsContext } from '../../ops/platform/ports';
import { status } from '../../ops/procedures/status';
import { tokensView } from './token-view';

/** A part of a page that could not be read says why, and the rest of the page still shows. */
async function part<T>(read: () => Promise<T>): Promise<T | { readonly error: string }> {
  try {
    return await read();
  } catch (error) {
    return { error: messageOf(error) };
  }
}

/**
 * One read for every caller while it is in flight, and for `ttlMs` after: the pages poll every
 * 2 s, and the flag, ECS and every task must not be asked once per poll per viewer (the emergency
 * stop shares the account's ECS and SSM limits). A failed read is not kept.
 */
function shared<T>(read: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > ttlMs) {
      const value = read();
      last = { at: now, value };
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
    }
    return last.value;
  };
}

/** Worst first: what the header shows when the tasks disagree (a rolling deployment). */
const SEVERITY = ['UNREACHABLE', 'HARD_HALT', 'HALTED', 'PAUSED', 'ACTIVE'] as const;

/** At most this many points of the day's P&L go to the chart. */
const CHART_POINTS = 720;

/** The dashboard's read model of one stage: every page's data, from shared reads. */
export function dashboardReads(ctx: OpsContext) {
  const history = new PnlHistory();
  const tasks = shared(() => liveTasks(ctx), 1500);
  const chain = shared(async () => {
    if (!ctx.db) throw new Error('no database access');
    return verifyAuditChain(ctx.db);
  }, 15_000);
  let sampling = false;
  return {
    status: () => statusView(ctx, tasks),
    positions: () => positionsView(ctx, tasks),
    performance: () => performanceView(ctx, tasks, history),
    health: () => healthView(ctx, tasks),
    audit: () => auditView(ctx, chain),
    // Each token is proven with its broker: once per 20 s whoever polls (brokers rate-limit it).
    tokens: shared(() => tokensView(ctx), 20_000),
    /** One point of the P&L chart; a sample still running when the next is due is not doubled. */
    async samplePnl(): Promise<void> {
      if (sampling) return;
      sampling = true;
      try {
        const { live } = await tasks();
        if (live.length)
          history.add(
            ctx.now(),
            sum(live, (t) => t.state.pnl.dailyInr),
          );
      } finally {
        sampling = false;
      }
    },
  };
}
type Tasks = () => ReturnType<typeof liveTasks>;

const round2 = (x: number) => Math.round(x * 100) / 100;
const sum = <T>(items: readonly T[], of: (item: T) => number) =>
  items.reduce((total, item) => total + of(item), 0);

/** The trading tasks that answer, with their state: every view reads through them. */
async function liveTasks(ctx: OpsContext) {
  const report = await status(ctx);
  const live = report.tasks.filter(
    (t): t is typeof t & { state: TaskState } => t.state !== undefined,
  );
  return { report, live };
}

/** Status: mode, state, the flag and who set it, market and IST clock, risk, broker. */
async function statusView(ctx: OpsContext, tasks: Tasks) {
  const { report, live } = await tasks();
  const first = live[0]?.state;
  const now = ctx.now();
  const { calendar } = await loadMarketCalendar(ctx.db);
  const day = calendar.day(istDate(now));
  const rows = report.tasks.map((t) => ({
    taskId: t.taskId,
    state: t.state?.state ?? 'UNREACHABLE',
    cause: t.state?.cause ?? t.error ?? '',
    positions: t.state?.openPositions ?? null,
    working: t.state?.workingOrders ?? null,
  }));
  // The worst task decides the header; one that does not answer is UNREACHABLE, and no task at
  // all is UNKNOWN: never ACTIVE on a guess.
  const worst = [...rows].sort(
    (a, b) =>
      SEVERITY.indexOf(a.state as (typeof SEVERITY)[number]) -
      SEVERITY.indexOf(b.state as (typeof SEVERITY)[number]),
  )[0];
  return {
    stage: report.stage,
    at: report.at,
    istNow: formatIst(now),
    mode: first?.mode ?? 'UNKNOWN',
    state: worst?.state ?? 'UNKNOWN',
    cause: worst
      ? `${report.tasks.length > 1 ? `${worst.taskId}: ` : ''}${worst.cause}`
      : 'no trading task running',
    flag: report.flag,
    market: first?.market ?? {
      open: false,
      nowIst: formatIst(now),
      now: new Date(now).toISOString(),
      date: istDate(now),
    },
    tradingDay: day.kind,
    paused: first?.paused ?? null,
    riskHalt: first?.riskHalt ?? null,
    broker: first?.broker ?? null,
    service: report.service,
    tasks: rows,
    // Per strategy: its algo ID and halt (every task reads the same algo_halts).
    algos: first?.algos ?? [],
  };
}

/** Positions and working orders of every task (each task owns its strategies). */
async function positionsView(ctx: OpsContext, tasks: Tasks) {
  const { live } = await tasks();
  const perTask = await Promise.all(
    live.map(async (t) => {
      const [positions, orders] = await Promise.all([
        ctx.trading.positions(t.url),
        ctx.trading.workingOrders(t.url),
      ]);
      return { positions, orders };
    }),
  );
  const positions = perTask.flatMap((p) => p.positions).filter((p) => p.quantity !== 0);
  return {
    positions,
    orders: perTask.flatMap((p) => p.orders),
    unrealizedInr: round2(sum(positions, (p) => p.unrealizedPnl)),
  };
}

/** Every n-th point (and the last) when there are more than `max`. */
function downsample<T>(points: readonly T[], max: number): readonly T[] {
  if (points.length <= max) return points;
  const step = Math.ceil(points.length / max);
  const kept = points.filter((_, i) => i % step === 0);
  const last = points.at(-1);
  return last === undefined || kept.at(-1) === last ? kept : [...kept, last];
}

/** P&L samples of today, taken by the server every few seconds (the chart's points). */
class PnlHistory {
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

/** Performance: P&L over the day, trades and win rate, heat against its cap, loss-stop room. */
async function performanceView(ctx: OpsContext, tasks: Tasks, history: PnlHistory) {
  const { live } = await tasks();
  const date = istDate(ctx.now());
  const trades = (await Promise.all(live.map((t) => ctx.trading.trades(t.url, date)))).flat();
  const closing = trades.filter((t) => t.closes_position);
  const wins = closing.filter((t) => t.realized_pnl > 0).length;
  const pnl = sum(live, (t) => t.state.pnl.dailyInr);
  const pnlPct = sum(live, (t) => t.state.pnl.dailyPct);
  const first = live[0]?.state;
  const lossStopPct = first?.pnl.dailyLossStopPct ?? null;
  return {
    date,
    pnlInr: round2(pnl),
    pnlPct: round2(pnlPct),
    series: downsample(history.today(), CHART_POINTS),
    trades: trades.length,
    closedTrades: closing.length,
    winRatePct: closing.length ? Math.round((wins / closing.length) * 1000) / 10 : null,
    heatPct: sum(live, (t) => t.state.heat.pct),
    heatCapPct: first?.heat.capPct ?? null,
    lossStopPct,
    // How much more the day may lose before the stop, in percent of capital.
    lossStopRoomPct: lossStopPct === null ? null : round2(lossStopPct + pnlPct),
  };
}

/** Health: feeds, breakers, rate limits, the latest checklist reports, alarms in ALARM. */
async function healthView(ctx: OpsContext, tasks: Tasks) {
  const { live } = await tasks();
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
    procedure: string;
    trading_day: string;
    finished_at: Date | null;
    status: string;
    summary: string | null;
    results: Array<{ name: string; severity: string; status: string; detail: string }> | null;
  }>(
    `SELECT DISTINCT ON (r.procedure) r.procedure, r.trading_day::text, r.finished_at,
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
    // Times go out as ISO 8601 UTC: the page shows them in IST, with UTC on hover.
    finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
    status: r.status,
    summary: r.summary,
    results: r.results ?? [],
  }));
}

/** Audit: the control_audit log, newest first, and whether the hash chain holds. */
async function auditView(
  ctx: OpsContext,
  chainOf: () => Promise<Awaited<ReturnType<typeof verifyAuditChain>>>,
  limit = 100,
) {
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
    chainOf(),
  ]);
  return { chain, rows: rows.map((r) => ({ ...r, occurred_at: r.occurred_at.toISOString() })) };
}
