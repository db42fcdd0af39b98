import { randomUUID } from 'node:crypto';
import { loadMarketCalendar } from '../../common/calendar/calendar-store';
import { messageOf } from '../../common/errors';
import { formatIst, istDate, istTimeOn } from '../../common/time';
import { type Check, type CheckResult, runChecks, runSteps } from '../checks/framework';
import type { ChecklistContext } from '../checks/support';
import type { OpsContext } from '../platform/ports';

export type ChecklistStatus = 'READY' | 'NOT_READY' | 'PASS' | 'WARN' | 'FAIL' | 'SKIPPED';

/** What a checklist run produced; stored in PostgreSQL and the object store, summarised on SNS. */
export interface ChecklistReport {
  readonly id: string;
  readonly procedure: string;
  readonly stage: string;
  readonly tradingDay: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly status: ChecklistStatus;
  readonly triggeredBy: string;
  readonly summary: string;
  readonly results: readonly CheckResult[];
  /** Where the JSON report went (object store key). */
  readonly reportKey?: string;
  /** Wall time of the run and the sum of its checks' times: concurrency at a glance. */
  readonly wallMs: number;
  readonly sumOfChecksMs: number;
  /** Storing or publishing the report failed: the report itself is still valid. */
  readonly deliveryErrors: readonly string[];
}

/** What a scheduled procedure is asked: the schedule, or an operator with `--date`/`--force`. */
export interface ScheduledRequest {
  /** IST date, YYYY-MM-DD. @default today in IST */
  readonly date?: string;
  /** Run on a day the procedure would skip. */
  readonly force?: boolean;
  readonly triggeredBy: string;
}

export interface ChecklistRequest {
  readonly procedure: string;
  /** IST date, YYYY-MM-DD. @default today in IST */
  readonly date?: string;
  /** Run on a day it would skip (a holiday, a weekend; a trading Saturday for maintenance). */
  readonly force?: boolean;
  readonly triggeredBy: string;
  /** READY / NOT_READY (morning, readiness) rather than PASS / WARN / FAIL. */
  readonly readiness?: boolean;
  /** The checks are steps that run one after the other (backup, export). @default at once */
  readonly sequential?: boolean;
  /** Maintenance runs when the market is closed. @default trading days */
  readonly runsOn?: 'trading-days' | 'non-trading-days';
  /** Per-check timeout. @default 20 s */
  readonly timeoutMs?: number;
  /** The report goes to the page topic rather than notify when the run ends in one of these. */
  readonly pageOn?: readonly ChecklistStatus[];
  /** One report per day at `reports/<procedure>/<date>.json`, or one per run (ad hoc checks). */
  readonly reportPerRun?: boolean;
  /**
   * The procedure covers the day's session (evening checklist, export, backup): before that
   * session has closed (a Muhurat evening session after the 16:00 schedule) it records SKIPPED
   * and says to run it after the close; the next deadline check fails until it has run.
   */
  readonly afterClose?: boolean;
}

/** How an operator runs each after-close procedure for a day by hand. */
const AFTER_CLOSE_COMMAND: Readonly<Record<string, string>> = {
  'evening-checklist': 'tradeops checklist evening',
  'trade-export': 'tradeops checklist export',
  'database-backup': 'tradeops backup',
};

/**
 * Runs a checklist and delivers its report: stored in PostgreSQL and at
 * `reports/<procedure>/<date>.json`, summarised on the notify topic (or the page topic, for the
 * statuses in `pageOn`).
 */
export async function runChecklist(
  ctx: OpsContext,
  checks: readonly Check<ChecklistContext>[],
  request: ChecklistRequest,
): Promise<ChecklistReport> {
  const report = await evaluateChecklist(ctx, checks, request);
  return deliverReport(ctx, report, {
    topic: request.pageOn?.includes(report.status) ? 'page' : 'notify',
  });
}

/**
 * Runs the checks of a checklist and builds its report, without delivering it. On a day the
 * procedure does not run (a holiday or weekend; a trading day for maintenance) it records
 * SKIPPED, unless forced.
 */
export async function evaluateChecklist(
  ctx: OpsContext,
  checks: readonly Check<ChecklistContext>[],
  request: ChecklistRequest,
): Promise<ChecklistReport> {
  const started = ctx.now();
  const day = request.date ?? istDate(started);
  // Read per run: an import reaches the next scheduled run without a deploy.
  const { calendar, warning } = await loadMarketCalendar(ctx.db);
  const info = calendar.day(day);
  let results: CheckResult[] = [];
  let status: ChecklistStatus;
  let summary: string;
  const tradingDay = info.kind === 'TRADING_DAY';
  const onClosedDays = request.runsOn === 'non-trading-days';
  const closesAt = info.session ? istTimeOn(day, info.session.close) : undefined;
  // An UNKNOWN day (no list for its year) is never skipped: the run FAILs and says why.
  if (info.kind !== 'UNKNOWN' && tradingDay === onClosedDays && !request.force) {
    status = 'SKIPPED';
    summary = tradingDay
      ? `${day} is a trading day: ${request.procedure} waits for a day the market is closed`
      : `${day} is not a trading day (${info.kind === 'HOLIDAY' ? `NSE holiday: ${info.occasion}` : 'weekend'})`;
  } else if (request.afterClose && closesAt !== undefined && started < closesAt && !request.force) {
    status = 'SKIPPED';
    summary = `${day}'s session (${info.specialSession ?? 'ordinary'}) closes at ${info.session?.close} IST: run ${request.procedure} for ${day} after the close (${AFTER_CLOSE_COMMAND[request.procedure] ?? 'tradeops'} <stage> --date ${day}); the next deadline check fails until it has`;
  } else {
    const run = request.sequential ? runSteps : runChecks;
    const checkCtx = { ...ctx, day, calendar, ...(warning ? { calendarWarning: warning } : {}) };
    results = await run(checks, checkCtx, request.timeoutMs ?? 20_000);
    if (info.kind === 'UNKNOWN' && info.calendarWarning)
      results.unshift({
        name: 'market-calendar',
        severity: 'CRITICAL',
        status: 'FAIL',
        detail: info.calendarWarning,
        durationMs: 0,
      });
    const failed = results.filter((r) => r.status === 'FAIL');
    const warned = results.filter((r) => r.status === 'WARN');
    const verdict = failed.length ? 'FAIL' : warned.length ? 'WARN' : 'PASS';
    status = request.readiness ? (failed.length ? 'NOT_READY' : 'READY') : verdict;
    summary = [
      `${status}: ${results.length - failed.length - warned.length} passed/skipped, ${warned.length} warning(s), ${failed.length} failed`,
      ...failed.map((r) => `FAIL ${r.name}: ${r.detail}`),
      ...warned.map((r) => `WARN ${r.name}: ${r.detail}`),
    ].join('\n');
  }
  const finished = ctx.now();
  const id = randomUUID();
  const report: ChecklistReport = {
    id,
    procedure: request.procedure,
    stage: ctx.stage,
    tradingDay: day,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    status,
    triggeredBy: request.triggeredBy,
    summary,
    results,
    reportKey: request.reportPerRun
      ? `reports/${request.procedure}/${day}/${id}.json`
      : `reports/${request.procedure}/${day}.json`,
    wallMs: finished - started,
    sumOfChecksMs: results.reduce((s, r) => s + r.durationMs, 0),
    deliveryErrors: [],
  };
  return report;
}

/**
 * Stores the report (database, object store) and publishes its summary; failures are noted in
 * the report, not thrown. `store: false` only publishes (a page about a report already stored).
 */
export async function deliverReport<R extends ChecklistReport>(
  ctx: OpsContext,
  report: R,
  options: { topic?: 'notify' | 'page'; store?: boolean } = {},
): Promise<R> {
  const topic = options.topic ?? 'notify';
  const store = options.store ?? true;
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      errors.push(`${what}: ${messageOf(error)}`);
    }
  };
  const { db } = ctx;
  if (store && db) await attempt('database', () => storeReport(db, report));
  if (store && report.reportKey) {
    const key = report.reportKey;
    await attempt('object store', () =>
      ctx.objects.put(key, JSON.stringify(report, null, 2), 'application/json'),
    );
  }
  if (report.status !== 'SKIPPED') {
    await attempt('notification', () =>
      ctx.notifier.publish(
        topic,
        `[${report.procedure}] ${ctx.stage} ${report.tradingDay}: ${report.status}`,
        `${report.summary}\n\nRun ${report.id} at ${formatIst(Date.parse(report.startedAt))}, ${report.wallMs} ms (checks' sum ${report.sumOfChecksMs} ms).\nReport: ${ctx.objects.location}/${report.reportKey}`,
      ),
    );
  }
  return { ...report, deliveryErrors: [...report.deliveryErrors, ...errors] };
}

async function storeReport(
  db: NonNullable<OpsContext['db']>,
  report: ChecklistReport,
): Promise<void> {
  await db.query(
    `WITH run AS (
       INSERT INTO checklist_runs (id, procedure, trading_day, started_at, finished_at, status, triggered_by, summary, report_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     )
     INSERT INTO checklist_results (run_id, position, name, severity, status, detail, duration_ms, data)
     SELECT $1, r.position, r.name, r.severity, r.status, r.detail, r.duration_ms, r.data
       FROM jsonb_to_recordset($10::jsonb) AS r(position int, name text, severity text, status text, detail text, duration_ms int, data jsonb)`,
    [
      report.id,
      report.procedure,
      report.tradingDay,
      report.startedAt,
      report.finishedAt,
      report.status,
      report.triggeredBy,
      report.summary,
      report.reportKey ?? null,
      JSON.stringify(
        report.results.map((r, position) => ({
          position,
          name: r.name,
          severity: r.severity,
          status: r.status,
          detail: r.detail,
          duration_ms: r.durationMs,
          data: r.data ?? null,
        })),
      ),
    ],
  );
}
