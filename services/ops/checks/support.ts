import type { Schedules } from '../../../contract/stage';
import { type MarketCalendar, SESSION } from '../../common/market-calendar';
import { istTimeOn } from '../../common/time';
import type { OpsContext, TaskEndpoint } from '../platform/ports';

/** What a check sees: the stage, the IST trading day the checklist runs for, and the calendar. */
export interface ChecklistContext extends OpsContext {
  /** YYYY-MM-DD (IST). */
  readonly day: string;
  /** The calendar of this run: the repository's years, each replaced by its imported list. */
  readonly calendar: MarketCalendar;
  /** Why `calendar` may not be the imported one (no database, or it could not be read). */
  readonly calendarWarning?: string;
}

/** The first running trading task: checks that ask the service use it. */
export async function firstTask(ctx: OpsContext): Promise<TaskEndpoint | undefined> {
  const tasks = await ctx.fleet.tasks(ctx.names.tradingService);
  return tasks[0];
}

/** The close (IST) of `day`'s session: a special session's own, else 15:30. */
export function closeOf(ctx: ChecklistContext, day: string): number {
  return istTimeOn(day, ctx.calendar.day(day).session?.close ?? SESSION.close);
}

/** The close of the last trading day before the checklist's day. */
export function lastCloseBefore(ctx: ChecklistContext): number {
  return closeOf(ctx, ctx.calendar.previousTradingDay(ctx.day));
}

/**
 * Whether the scheduled procedure `which` should have run for `day` by now: the evening
 * checklist (16:00) runs before the export (16:05) and the backup (16:30) of its own day.
 */
export function isDue(ctx: ChecklistContext, which: keyof Schedules): boolean {
  return ctx.now() >= istTimeOn(ctx.day, ctx.settings.schedules[which].time);
}

/** The trading day before the checklist's day. */
export function previousTradingDay(ctx: ChecklistContext): string {
  return ctx.calendar.previousTradingDay(ctx.day);
}
