import { MarketCalendar } from '../../common/market-calendar';
import { istDate, istTimeOn } from '../../common/time';
import type { ObjectStore, OpsContext } from '../platform/ports';
import { type RecordsVerification, verifyRecords } from './verify-records';

const calendar = new MarketCalendar();

/** Where a stage's records live: the records bucket in AWS, the object store's folder locally. */
export function recordsStore(ctx: OpsContext): ObjectStore {
  return ctx.records ?? ctx.objects;
}

/** The cut-off of a day's records: the records procedure's scheduled time (IST) that day. */
export function recordsCutoff(ctx: OpsContext, day: string): number {
  return istTimeOn(day, ctx.settings.schedules.records.time);
}

/** The last day whose records should be stored at `now`: today once its cut-off has passed. */
export function lastDueRecordsDay(now: number, recordsTime: string): string {
  const today = istDate(now);
  if (calendar.isTradingDay(today) && now >= istTimeOn(today, recordsTime)) return today;
  return calendar.previousTradingDay(today);
}

/**
 * `records verify`: re-reads the records in `store` from `from` to `to` (default: the whole chain
 * up to the last due day at `now`), recomputes every digest and the chain, and names the first
 * broken day. Needs no database: the CLI runs it with the operator's own S3 access.
 */
export function verifyStageRecords(
  store: ObjectStore,
  options: {
    readonly from?: string;
    readonly to?: string;
    readonly now: number;
    /** The records procedure's time (IST, HH:MM): a day is due once it has passed. */
    readonly recordsTime: string;
  },
): Promise<RecordsVerification> {
  const { now, recordsTime, ...range } = options;
  return verifyRecords(store, {
    ...range,
    lastDueDay: lastDueRecordsDay(now, recordsTime),
    isTradingDay: (d) => calendar.isTradingDay(d),
  });
}

/** The records of `day` and their link to the day before, read back (the evening checklist too). */
export function verifyDayRecords(ctx: OpsContext, day: string): Promise<RecordsVerification> {
  return verifyRecords(recordsStore(ctx), {
    from: day,
    to: day,
    lastDueDay: day,
    isTradingDay: () => true,
  });
}
