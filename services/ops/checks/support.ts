import type { Schedules } from '../../../contract/stage';
import { MarketCalendar, SESSION } from '../../common/market-calendar';
import { istTimeOn } from '../../common/time';
import type { OpsContext, TaskEndpoint } from '../platform/ports';

/** What a check sees: the stage, and the IST trading day the checklist runs for. */
export interface ChecklistContext extends OpsContext {
  /** YYYY-MM-DD (IST). */
  readonly day: string;
}

const calendar = new MarketCalendar();

/** The first running trading task: checks that ask the service use it. */
export async function firstTask(ctx: OpsContext): Promise<TaskEndpoint | undefined> {
  const tasks = await ctx.fleet.tasks(ctx.names.tradingService);
  return tasks[0];
}

/** 15:30 IST of the last trading day before `day`. */
export function lastCloseBefore(day: string): number {
  return istTimeOn(calendar.previousTradingDay(day), SESSION.close);
}

/**
 * Whether the scheduled procedure `which` should have run for `day` by now: the evening
 * checklist (16:00) runs before the export (16:05) and the backup (16:30) of its own day.
 */
export function isDue(ctx: ChecklistContext, which: keyof Schedules): boolean {
  return ctx.now() >= istTimeOn(ctx.day, ctx.settings.schedules[which].time);
}

/** The trading day before `day`. */
export function previousTradingDay(day: string): string {
  return calendar.previousTradingDay(day);
}
