import {
  type CalendarEntry,
  type CalendarYearFile,
  CalendarYearFileSchema,
} from '../../contract/market-calendar';
import nse2026 from './calendar/nse-2026.json';
import { addDays, istDate, istMinuteOfDay } from './time';

/** NSE equity session in IST on an ordinary trading day. */
export const SESSION = { open: '09:15', close: '15:30', squareOff: '15:25' } as const;

/** Our square-off runs this long before a session's close (15:25 for 15:30). */
const SQUARE_OFF_BEFORE_CLOSE_MIN = 5;
/** The pre-open call auction starts this long before the open. */
const PRE_OPEN_MIN = 15;

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

function toHhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** The ordinary session's times as minutes of the IST day: computed once, read on every order. */
export const SESSION_MINUTE = {
  open: toMinutes(SESSION.open),
  close: toMinutes(SESSION.close),
  squareOff: toMinutes(SESSION.squareOff),
} as const;

/** The hours of one day's session (IST `HH:MM`). */
export interface SessionHours {
  readonly open: string;
  readonly close: string;
  readonly squareOff: string;
}

/** One year's list of exceptional days, and where it came from. */
export interface CalendarYear {
  readonly year: number;
  /** The exchange's circulars the list was taken from (or the imported file's name). */
  readonly source: string;
  /** `repository`: the seed file shipped with the code; `database`: `tradeops calendar import`. */
  readonly origin: 'repository' | 'database';
  readonly entries: readonly CalendarEntry[];
}

/**
 * The years the repository ships (`services/common/calendar/nse-<year>.json`), validated when the
 * module loads: a broken seed file fails every test and every build that imports it. Add the next
 * year's file each December from the exchange's circular, or import it (`tradeops calendar
 * import`) so that a deployment sees it without a release.
 */
export const REPOSITORY_CALENDAR: readonly CalendarYear[] = [nse2026].map((raw) => {
  const file: CalendarYearFile = CalendarYearFileSchema.parse(raw);
  return { year: file.year, source: file.source, origin: 'repository', entries: file.entries };
});

/**
 * `UNKNOWN`: no list for the year. Fail closed: it is not a trading day (the service opens no
 * positions), and the scheduled procedures run and FAIL rather than skip (see checklist.ts).
 */
export type DayKind = 'TRADING_DAY' | 'WEEKEND' | 'HOLIDAY' | 'UNKNOWN';

/** What the calendar says of one IST date. */
export interface DayInfo {
  readonly date: string;
  readonly kind: DayKind;
  /** The holiday's occasion, when `kind` is HOLIDAY. */
  readonly occasion?: string;
  /** The day's session, when `kind` is TRADING_DAY: a special session's own hours. */
  readonly session?: SessionHours;
  /** A special session's occasion (a weekend Budget day, Muhurat). */
  readonly specialSession?: string;
  /** The special session's hours are placeholders, not yet confirmed by the exchange. */
  readonly provisional?: true;
  /**
   * A settlement holiday's occasion: the exchange trades, the clearing corporation does not settle.
   * Nothing of ours changes on it (positions are intraday, square-off as usual); the morning
   * checklist says so, because broker funds and holdings of the previous days arrive a day late.
   */
  readonly settlementHoliday?: string;
  /** Why this answer may be wrong (no list for the year), if it may be. */
  readonly calendarWarning?: string;
}

export type MarketPhase = 'PRE_OPEN' | 'OPEN' | 'CLOSED';

/** What the exchange is doing at an instant, in IST terms. */
export interface MarketStatus {
  readonly date: string;
  readonly day: DayInfo;
  readonly phase: MarketPhase;
  readonly open: boolean;
  /** From the session's square-off (15:25 IST on an ordinary day) until its close. */
  readonly squareOffDue: boolean;
}

const ORDINARY: SessionHours = SESSION;

function specialHours(entry: CalendarEntry): SessionHours {
  const open = entry.open ?? SESSION.open;
  const close = entry.close ?? SESSION.close;
  return { open, close, squareOff: toHhmm(toMinutes(close) - SQUARE_OFF_BEFORE_CLOSE_MIN) };
}

interface YearIndex {
  readonly year: CalendarYear;
  readonly byDate: ReadonlyMap<string, readonly CalendarEntry[]>;
}

/** The NSE equity calendar: weekends, holidays, special sessions and settlement holidays. */
export class MarketCalendar {
  private readonly years = new Map<number, YearIndex>();

  /** `years`: later entries for the same year replace earlier ones (the database over the seed). */
  constructor(years: readonly CalendarYear[] = REPOSITORY_CALENDAR) {
    for (const year of years) {
      const byDate = new Map<string, CalendarEntry[]>();
      for (const entry of year.entries)
        byDate.set(entry.date, [...(byDate.get(entry.date) ?? []), entry]);
      this.years.set(year.year, { year, byDate });
    }
  }

  /** The year's list, if the calendar has one. */
  year(year: number): CalendarYear | undefined {
    return this.years.get(year)?.year;
  }

  /** The years the calendar has a list for, ascending. */
  knownYears(): number[] {
    return [...this.years.keys()].sort((a, b) => a - b);
  }

  /** Classifies an IST calendar date `YYYY-MM-DD`. */
  day(date: string): DayInfo {
    const index = this.years.get(Number(date.slice(0, 4)));
    if (!index)
      return {
        date,
        kind: 'UNKNOWN',
        calendarWarning: `no NSE calendar for ${date.slice(0, 4)}: not a trading day until its list is imported (tradeops calendar import)`,
      };
    const entries = index.byDate.get(date) ?? [];
    const of = (type: CalendarEntry['type']) => entries.find((e) => e.type === type);
    const holiday = of('TRADING_HOLIDAY');
    const special = of('SPECIAL_SESSION');
    const settlement = of('SETTLEMENT_HOLIDAY');
    const settlementInfo = settlement ? { settlementHoliday: settlement.description } : {};
    if (holiday) return { date, kind: 'HOLIDAY', occasion: holiday.description };
    if (special)
      return {
        date,
        kind: 'TRADING_DAY',
        session: specialHours(special),
        specialSession: special.description,
        ...(special.provisional ? { provisional: true } : {}),
        ...settlementInfo,
      };
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (weekday === 0 || weekday === 6) return { date, kind: 'WEEKEND' };
    return { date, kind: 'TRADING_DAY', session: ORDINARY, ...settlementInfo };
  }

  /** The special sessions on or after `from` whose hours are placeholders, in date order. */
  provisionalSessions(from: string): DayInfo[] {
    return this.knownYears()
      .filter((year) => year >= Number(from.slice(0, 4)))
      .flatMap((year) => this.year(year)?.entries ?? [])
      .filter((e) => e.type === 'SPECIAL_SESSION' && e.provisional && e.date >= from)
      .map((e) => this.day(e.date))
      .sort((a, b) => (a.date < b.date ? -1 : 1));
  }

  /** Whether the exchange trades on `date`. An UNKNOWN day is not a trading day. */
  isTradingDay(date: string): boolean {
    return this.day(date).kind === 'TRADING_DAY';
  }

  /** The last trading day strictly before `date` (at most 30 days back). */
  previousTradingDay(date: string): string {
    let d = addDays(date, -1);
    for (let i = 0; i < 30 && !this.isTradingDay(d); i += 1) d = addDays(d, -1);
    return d;
  }

  /** The first trading day strictly after `date` (at most 30 days ahead). */
  nextTradingDay(date: string): string {
    let d = addDays(date, 1);
    for (let i = 0; i < 30 && !this.isTradingDay(d); i += 1) d = addDays(d, 1);
    return d;
  }

  /** The exchange at an instant: a special session opens, squares off and closes at its own hours. */
  status(epochMs: number): MarketStatus {
    const date = istDate(epochMs);
    const day = this.day(date);
    const minute = istMinuteOfDay(epochMs);
    const hours = day.kind === 'TRADING_DAY' ? day.session : undefined;
    const open = hours ? toMinutes(hours.open) : 0;
    const close = hours ? toMinutes(hours.close) : 0;
    const phase: MarketPhase =
      hours && minute >= open && minute < close
        ? 'OPEN'
        : hours && minute >= open - PRE_OPEN_MIN && minute < open
          ? 'PRE_OPEN'
          : 'CLOSED';
    return {
      date,
      day,
      phase,
      open: phase === 'OPEN',
      squareOffDue: phase === 'OPEN' && hours !== undefined && minute >= toMinutes(hours.squareOff),
    };
  }
}
