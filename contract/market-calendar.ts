/**
 * The exchange calendar's wire format: one entry per exceptional day of the NSE equity segment.
 * The repository's seed files, `tradeops calendar import` and the admin function that stores an
 * import all validate with these schemas, so a list that one of them accepts, all of them do.
 */
import * as z from 'zod';
import { isIsoDate } from './dates';
import { TimeOfDaySchema } from './stage';

/**
 * What an exceptional day is. `TRADING_HOLIDAY`: the exchange is closed. `SPECIAL_SESSION`: it
 * trades, with the hours given, on a day it would not (a weekend Budget day) or at hours it would
 * not (Muhurat). `SETTLEMENT_HOLIDAY`: trading as usual, but the clearing corporation does not
 * settle (funds and securities of the previous days arrive a day later).
 */
export const CALENDAR_DAY_TYPES = [
  'TRADING_HOLIDAY',
  'SPECIAL_SESSION',
  'SETTLEMENT_HOLIDAY',
] as const;
export type CalendarDayType = (typeof CALENDAR_DAY_TYPES)[number];

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** One exceptional day. Hours (IST, `HH:MM`) only on a special session, and both of them. */
export const CalendarEntrySchema = z
  .object({
    date: z.string().refine(isIsoDate, {
      error: (issue) => `date ${JSON.stringify(issue.input)} is not a real date as YYYY-MM-DD`,
    }),
    type: z.enum(CALENDAR_DAY_TYPES, {
      error: (issue) =>
        `type ${JSON.stringify(issue.input)} is not one of ${CALENDAR_DAY_TYPES.join(', ')}`,
    }),
    description: z.string().trim().min(1, 'a description is required').max(200),
    open: TimeOfDaySchema.optional(),
    close: TimeOfDaySchema.optional(),
    /**
     * A special session whose hours are placeholders, not yet the exchange's (Muhurat's day is in
     * the holiday circular, its hour in a circular weeks before Diwali): the checks warn until a
     * list with the confirmed hours is imported.
     */
    provisional: z.literal(true, { error: 'provisional is true or absent' }).optional(),
  })
  .strict()
  .superRefine((entry, ctx) => {
    if (entry.type !== 'SPECIAL_SESSION') {
      if (entry.provisional)
        ctx.addIssue({
          code: 'custom',
          path: ['provisional'],
          message: `only a SPECIAL_SESSION's hours can be provisional, not a ${entry.type}'s`,
        });
      if (entry.open || entry.close)
        ctx.addIssue({
          code: 'custom',
          path: ['open'],
          message: `a ${entry.type} has no hours (got ${entry.open ?? ''}-${entry.close ?? ''})`,
        });
      return;
    }
    if (!entry.open || !entry.close) {
      ctx.addIssue({
        code: 'custom',
        path: [entry.open ? 'close' : 'open'],
        message: 'a SPECIAL_SESSION needs both its open and its close (HH:MM IST)',
      });
    } else if (minutes(entry.close) - minutes(entry.open) < 10) {
      ctx.addIssue({
        code: 'custom',
        path: ['close'],
        message: `the session closes at ${entry.close}, not after its open at ${entry.open} (at least 10 minutes)`,
      });
    }
  });
export type CalendarEntry = z.output<typeof CalendarEntrySchema>;

/** A problem between two entries of one list: `index` is the later one, `other` the first. */
export interface CalendarListProblem {
  readonly index: number;
  readonly other: number;
  readonly message: string;
}

/**
 * What makes a list of valid entries invalid as a whole: the same day and type twice, or a day
 * that is both closed and a special session.
 */
export function calendarListProblems(entries: readonly CalendarEntry[]): CalendarListProblem[] {
  const problems: CalendarListProblem[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const key = `${entry.date} ${entry.type}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ index, other: first, message: `duplicate: ${key} is listed twice` });
      return;
    }
    seen.set(key, index);
    const clash =
      entry.type === 'TRADING_HOLIDAY'
        ? `${entry.date} SPECIAL_SESSION`
        : entry.type === 'SPECIAL_SESSION'
          ? `${entry.date} TRADING_HOLIDAY`
          : undefined;
    const other = clash === undefined ? undefined : seen.get(clash);
    if (other !== undefined)
      problems.push({
        index,
        other,
        message: `${entry.date} cannot be both a TRADING_HOLIDAY and a SPECIAL_SESSION`,
      });
  });
  return problems;
}

/** A whole list: every entry valid and no two in conflict. */
export const CalendarListSchema = z
  .array(CalendarEntrySchema)
  .min(1, 'the list has no entries')
  .max(400)
  .superRefine((entries, ctx) => {
    for (const p of calendarListProblems(entries))
      ctx.addIssue({
        code: 'custom',
        path: [p.index],
        message: `${p.message} (first at entry ${p.other + 1})`,
      });
  });

/** A year's list as the repository keeps it (`services/common/calendar/nse-<year>.json`). */
export const CalendarYearFileSchema = z
  .object({
    year: z.number().int().min(2000).max(2100),
    /** Where the list comes from: the exchange's circulars, by number and date. */
    source: z.string().min(1),
    entries: CalendarListSchema,
  })
  .strict()
  .superRefine((file, ctx) => {
    file.entries.forEach((entry, index) => {
      if (!entry.date.startsWith(`${file.year}-`))
        ctx.addIssue({
          code: 'custom',
          path: ['entries', index, 'date'],
          message: `${entry.date} is not in ${file.year}`,
        });
    });
  });
export type CalendarYearFile = z.output<typeof CalendarYearFileSchema>;
