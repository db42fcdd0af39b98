import {
  SCHEDULED_PROCEDURE_INFO,
  SCHEDULED_PROCEDURE_NAMES,
  type ScheduledProcedureName,
} from '../../contract/scheduled-procedures';
import type { Schedule, Schedules } from '../../contract/stage';
import { messageOf } from '../../services/common/errors';
import { addDays, formatIst, istDate, istTimeOn, istWeekday } from '../../services/common/time';
import type { OpsContext } from '../../services/ops/platform/ports';
import { runScheduled } from '../../services/ops/procedures/scheduled';

const WEEKDAYS: Record<Schedule['days'], readonly number[]> = {
  'MON-FRI': [1, 2, 3, 4, 5],
  SAT: [6],
  SUN: [0],
  'MON-SAT': [1, 2, 3, 4, 5, 6],
  DAILY: [0, 1, 2, 3, 4, 5, 6],
};

/** The next time (epoch ms, after `now`) a schedule fires: its IST time on one of its weekdays. */
export function nextRun(schedule: Schedule, now: number): number {
  for (let d = 0; d <= 7; d += 1) {
    const day = addDays(istDate(now), d);
    const at = istTimeOn(day, schedule.time);
    if (at > now && WEEKDAYS[schedule.days].includes(istWeekday(at))) return at;
  }
  throw new Error(`schedule ${JSON.stringify(schedule)} never fires`);
}

/**
 * The EventBridge schedules of the Ops stack, on one machine: each procedure at its IST time on
 * its weekdays (the procedure itself skips NSE holidays), against the local stack.
 */
export class LocalScheduler {
  private readonly timers = new Map<ScheduledProcedureName, NodeJS.Timeout>();

  constructor(
    private readonly ctx: OpsContext,
    private readonly schedules: Schedules,
    private readonly log: (line: string) => void,
  ) {}

  /** Arms every schedule; returns when each fires next. */
  start(now = Date.now()): Array<{ name: ScheduledProcedureName; at: number }> {
    return SCHEDULED_PROCEDURE_NAMES.map((name) => ({ name, at: this.arm(name, now) }));
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Runs one procedure now, as the schedule would (`npm start -- --now` runs them all). */
  async run(name: ScheduledProcedureName, event: Record<string, unknown> = {}): Promise<void> {
    try {
      const report = await runScheduled(this.ctx, name, { requestedBy: 'scheduler', ...event });
      this.log(`[scheduler] ${name} ${report.tradingDay}: ${report.status} (${report.reportKey})`);
    } catch (error) {
      this.log(`[scheduler] ${name} could not run: ${messageOf(error)}`);
    }
  }

  private arm(name: ScheduledProcedureName, now: number): number {
    const at = nextRun(this.schedules[SCHEDULED_PROCEDURE_INFO[name].schedule], now);
    // setTimeout holds at most ~24.8 days; a week is well inside.
    this.timers.set(
      name,
      setTimeout(
        () => {
          void this.run(name).then(() => this.arm(name, Date.now()));
        },
        Math.max(0, at - Date.now()),
      ).unref(),
    );
    return at;
  }
}

export const describeNextRuns = (runs: Array<{ name: string; at: number }>): string =>
  runs.map((r) => `  ${r.name.padEnd(18)} ${formatIst(r.at)}`).join('\n');
