import { messageOf } from '../../common/errors';
import { formatIst } from '../../common/time';
import { type Check, fail, pass, skipped, warn } from './framework';
import {
  type ChecklistContext,
  closeOf,
  firstTask,
  lastCloseBefore,
  previousTradingDay,
} from './support';
import { namedTokens } from './token-checks';

export const servicesRunning: Check<ChecklistContext> = {
  name: 'ecs-services',
  severity: 'CRITICAL',
  async run(ctx) {
    const services = [ctx.names.tradingService, ctx.names.dashboardService];
    const lines = await Promise.all(
      services.map(async (name) => {
        try {
          const d = await ctx.fleet.describe(name);
          const ok =
            d.runningCount === d.desiredCount &&
            d.desiredCount > 0 &&
            d.rolloutState === 'COMPLETED';
          return {
            ok,
            line: `${name} ${d.runningCount}/${d.desiredCount} running, rollout ${d.rolloutState}`,
          };
        } catch (error) {
          // The local stack serves the dashboard in its own process, not as a fleet service.
          if (ctx.stage === 'local' && name === ctx.names.dashboardService) {
            return { ok: true, line: `${name} served in process by the local stack` };
          }
          return { ok: false, line: `${name}: ${messageOf(error)}` };
        }
      }),
    );
    const bad = lines.some((l) => !l.ok);
    const text = lines.map((l) => l.line).join('; ');
    return bad ? fail(text) : pass(text);
  },
};

export const albTargets: Check<ChecklistContext> = {
  name: 'alb-targets',
  severity: 'HIGH',
  async run(ctx) {
    if (!ctx.targets) return skipped('no load balancer on this stage');
    const targets = await ctx.targets.targets();
    const unhealthy = targets.filter((t) => t.state !== 'healthy');
    if (targets.length === 0) return fail('no registered targets');
    return unhealthy.length
      ? fail(
          `${unhealthy.length}/${targets.length} unhealthy: ${unhealthy.map((t) => `${t.target} ${t.state} ${t.reason ?? ''}`).join('; ')}`,
        )
      : pass(`${targets.length} healthy`);
  },
};

export const alarmsNow: Check<ChecklistContext> = {
  name: 'alarms-now',
  severity: 'CRITICAL',
  async run(ctx) {
    if (!ctx.alarms) return skipped('no alarm source');
    const alarms = await ctx.alarms.inAlarm();
    return alarms.length
      ? fail(`${alarms.length} in ALARM: ${alarms.map((a) => a.name).join(', ')}`, alarms)
      : pass('no alarm in ALARM');
  },
};

export const alarmsOvernight: Check<ChecklistContext> = {
  name: 'alarms-overnight',
  severity: 'MEDIUM',
  async run(ctx) {
    if (!ctx.alarms) return skipped('no alarm source');
    const since = lastCloseBefore(ctx);
    const fired = await ctx.alarms.alarmedSince(since);
    return fired.length
      ? warn(
          `${fired.length} alarm(s) since ${formatIst(since)}: ${[...new Set(fired.map((a) => a.name))].join(', ')}`,
          fired,
        )
      : pass(`none since ${formatIst(since)}`);
  },
};

export const flagState: Check<ChecklistContext> = {
  name: 'kill-flag',
  severity: 'HIGH',
  async run(ctx) {
    const [latest] = await ctx.parameters.history(ctx.names.flagParameter, 1);
    if (!latest) return fail(`${ctx.names.flagParameter} does not exist`);
    const who = latest.lastModifiedUser ? ` by ${latest.lastModifiedUser}` : '';
    return pass(
      `${JSON.stringify(latest.value)} (version ${latest.version}, set${who} at ${formatIst(latest.lastModified)})`,
      latest,
    );
  },
};

export const databaseHealth: Check<ChecklistContext> = {
  name: 'database',
  severity: 'CRITICAL',
  async run(ctx) {
    if (!ctx.database) return skipped('no database admin access');
    const d = await ctx.database.describe();
    const problems: string[] = [];
    if (d.status !== 'available') problems.push(`status ${d.status}`);
    const freeGiB = d.freeStorageBytes === undefined ? undefined : d.freeStorageBytes / 1024 ** 3;
    if (freeGiB !== undefined && d.allocatedStorageGiB && freeGiB / d.allocatedStorageGiB < 0.1) {
      problems.push(`free storage ${freeGiB.toFixed(1)} GiB (<10%)`);
    }
    const restorableAgeMin = d.latestRestorableTime
      ? (ctx.now() - Date.parse(d.latestRestorableTime)) / 60_000
      : undefined;
    if (restorableAgeMin !== undefined && restorableAgeMin > 15)
      problems.push(`latest restorable time ${Math.round(restorableAgeMin)} min ago`);
    const summary = [
      `status ${d.status}`,
      freeGiB === undefined ? undefined : `free ${freeGiB.toFixed(1)} GiB`,
      d.latestRestorableTime
        ? `restorable to ${formatIst(Date.parse(d.latestRestorableTime))}`
        : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    return problems.length ? fail(problems.join('; '), d) : pass(summary, d);
  },
};

const requiredTokens = namedTokens('required');

export const brokerTokens: Check<ChecklistContext> = {
  name: 'broker-tokens',
  severity: 'CRITICAL',
  async run(ctx, signal) {
    // Named tokens are proven with their broker itself: no task needed to ask.
    if (ctx.tokens) return requiredTokens.run(ctx, signal);
    const task = await firstTask(ctx);
    if (!task) return fail('no trading task running to ask the broker');
    const broker = await ctx.trading.broker(task.url);
    if (!broker.connected)
      return fail(`${broker.name} is not connected (circuit ${broker.circuitBreaker})`);
    const close = closeOf(ctx, ctx.day);
    const closeText = ctx.calendar.day(ctx.day).session?.close ?? '15:30';
    const byName = new Map(broker.tokens.map((t) => [t.name, Date.parse(t.expiresAt)]));
    const expected = ctx.settings.brokerTokens.length
      ? ctx.settings.brokerTokens
      : [...byName.keys()];
    const missing = expected.filter((n) => !byName.has(n));
    const expiring = expected.filter((n) => (byName.get(n) ?? 0) <= close);
    if (missing.length || expiring.length) {
      return fail(
        [
          missing.length ? `missing: ${missing.join(', ')}` : '',
          expiring.length ? `expire before ${closeText} IST: ${expiring.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
      );
    }
    return pass(
      `${broker.name} connected; ${expected.length} token(s) valid past ${closeText} IST (${expected.join(', ')})`,
    );
  },
};

export const feedFreshness: Check<ChecklistContext> = {
  name: 'feed-freshness',
  severity: 'HIGH',
  async run(ctx) {
    const task = await firstTask(ctx);
    if (!task) return fail('no trading task running');
    const [feeds, state] = await Promise.all([
      ctx.trading.feeds(task.url),
      ctx.trading.state(task.url),
    ]);
    const stale = feeds.filter((f) => f.status !== 'FRESH');
    const line = feeds
      .map(
        (f) =>
          `${f.source} ${f.status} (tick ${f.tick_lag_sec ?? 'n/a'} s, depth ${f.depth_lag_sec ?? 'n/a'} s)`,
      )
      .join('; ');
    if (stale.length === 0) return pass(line);
    // Before the open there may be nothing to tick: stale is a warning then, not a failure.
    return state.market.open ? fail(line) : warn(`${line}; market closed`);
  },
};

export const previousDay: Check<ChecklistContext> = {
  name: 'previous-day',
  severity: 'HIGH',
  async run(ctx) {
    if (!ctx.db) return skipped('no database access');
    const day = previousTradingDay(ctx);
    const [{ rows: trades }, { rows: open }] = await Promise.all([
      ctx.db.query<{ trades: string; realized: string | null }>(
        'SELECT count(*) AS trades, sum(realized_pnl) AS realized FROM fills WHERE trading_day = $1',
        [day],
      ),
      ctx.db.query<{ strategy_id: string; symbol: string; quantity: number }>(
        'SELECT strategy_id, symbol, quantity FROM positions WHERE quantity <> 0',
      ),
    ]);
    const t = trades[0];
    const summary = `${day}: ${t?.trades ?? 0} trades, realized INR ${Number(t?.realized ?? 0).toFixed(2)}`;
    if (open.length)
      return fail(
        `${summary}; ${open.length} position(s) still open: ${open.map((p) => `${p.strategy_id}/${p.symbol} ${p.quantity}`).join(', ')}`,
      );
    return pass(`${summary}; no open positions`);
  },
};

export const errorsSinceClose: Check<ChecklistContext> = {
  name: 'errors-since-close',
  severity: 'MEDIUM',
  async run(ctx) {
    if (!ctx.logs) return skipped('no log source');
    const since = lastCloseBefore(ctx);
    const lines = await ctx.logs.lines({ sinceMs: since, pattern: 'ERROR', limit: 500 });
    if (lines.length === 0) return pass(`no ERROR since ${formatIst(since)}`);
    return warn(`${lines.length} ERROR line(s) since ${formatIst(since)}`, {
      samples: lines.slice(-5),
    });
  },
};

/**
 * SEBI's framework: API orders come only from static IPs registered with the broker. Every one of
 * the stage's egress IPs (one per NAT gateway: a task in either AZ may send) must be registered.
 * In LIVE, nothing registered, or egress IPs that cannot be known, is a FAIL: doubt is not READY.
 */
export const egressIp: Check<ChecklistContext> = {
  name: 'egress-ip',
  severity: 'CRITICAL',
  async run(ctx) {
    const { mode, registeredEgressIps: registered, egressIps: stage } = ctx.settings;
    const live = mode === 'LIVE';
    if (stage.length === 0)
      return live
        ? fail(
            "the stage's egress IPs are not known here (EGRESS_IPS): cannot show they are registered",
          )
        : skipped('no egress IPs on this stage (the local stack, or outside the VPC)');
    if (registered.length === 0) {
      const what = `no registered egress IPs configured: register ${stage.join(', ')} with the broker and deploy with -c registeredEgressIps=${stage.join(',')}`;
      return live ? fail(`${what}; a LIVE stage's orders from them are refused`) : warn(what);
    }
    const unregistered = stage.filter((ip) => !registered.includes(ip));
    return unregistered.length
      ? fail(
          `egress IP(s) ${unregistered.join(', ')} not registered (registered: ${registered.join(', ')}): the broker refuses orders sent through them`,
        )
      : pass(`${stage.join(', ')} registered`);
  },
};

/**
 * Today in the calendar: a special session's hours, a settlement holiday (trading as usual; funds
 * and holdings of the previous days settle a day late, which the broker's margin shows), and a
 * calendar that is not the imported one.
 */
export const holidayCalendar: Check<ChecklistContext> = {
  name: 'holiday-calendar',
  severity: 'LOW',
  async run(ctx) {
    const today = ctx.calendar.day(ctx.day);
    const year = ctx.calendar.year(Number(ctx.day.slice(0, 4)));
    if (today.kind === 'UNKNOWN') return fail(today.calendarWarning ?? 'no calendar');
    const notes = [
      today.session
        ? `session ${today.session.open}-${today.session.close} IST, square-off ${today.session.squareOff}${today.specialSession ? ` (special session: ${today.specialSession})` : ''}`
        : `${today.kind.toLowerCase()}`,
      today.provisional
        ? "these hours are provisional, not yet the exchange's: import its timing circular (tradeops calendar import)"
        : '',
      today.settlementHoliday
        ? `settlement holiday (${today.settlementHoliday}): trading as usual, no settlement today`
        : '',
      `NSE list for ${ctx.day.slice(0, 4)} from the ${year?.origin ?? 'unknown'}`,
    ].filter(Boolean);
    return ctx.calendarWarning || today.provisional
      ? warn([ctx.calendarWarning ?? '', ...notes].filter(Boolean).join('; '))
      : pass(notes.join('; '));
  },
};

/** The morning checklist of product.md (also the readiness check that resume requires). */
export const MORNING_CHECKS: readonly Check<ChecklistContext>[] = [
  servicesRunning,
  albTargets,
  alarmsNow,
  alarmsOvernight,
  flagState,
  databaseHealth,
  brokerTokens,
  feedFreshness,
  previousDay,
  errorsSinceClose,
  egressIp,
  holidayCalendar,
];
