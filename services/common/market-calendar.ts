import { addDays, istDate, istMinuteOfDay } from './time';

/** NSE equity session in IST. */
export const SESSION = { open: '09:15', close: '15:30', squareOff: '15:25' } as const;

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** The session's times as minutes of the IST day: computed once, read on every order. */
export const SESSION_MINUTE = {
  open: toMinutes(SESSION.open),
  close: toMinutes(SESSION.close),
  squareOff: toMinutes(SESSION.squareOff),
} as const;

interface HolidayYear {
  /** `official`: from the exchange's circular. `provisional`: not yet published; see note. */
  readonly status: 'official' | 'provisional';
  readonly note: string;
  /** Weekday closures, `YYYY-MM-DD` -> occasion. */
  readonly holidays: Readonly<Record<string, string>>;
}

/**
 * NSE equity trading holidays (weekdays only; weekends are closed anyway). Update each December
 * from the exchange circular "Holidays for the calendar year": a year that is missing or
 * provisional makes the checklists WARN.
 */
export const NSE_HOLIDAYS: Readonly<Record<number, HolidayYear>> = {
  2026: {
    status: 'official',
    note: 'NSE circular for 2026, with the 15 Jan Maharashtra municipal election closure',
    holidays: {
      '2026-01-15': 'Municipal Corporation Election - Maharashtra',
      '2026-01-26': 'Republic Day',
      '2026-03-03': 'Holi',
      '2026-03-26': 'Shri Ram Navami',
      '2026-03-31': 'Shri Mahavir Jayanti',
      '2026-04-03': 'Good Friday',
      '2026-04-14': 'Dr. Baba Saheb Ambedkar Jayanti',
      '2026-05-01': 'Maharashtra Day',
      '2026-05-28': 'Bakri Id',
      '2026-06-26': 'Muharram',
      '2026-09-14': 'Ganesh Chaturthi',
      '2026-10-02': 'Mahatma Gandhi Jayanti',
      '2026-10-20': 'Dussehra',
      '2026-11-10': 'Diwali-Balipratipada',
      '2026-11-24': 'Prakash Gurpurb Sri Guru Nanak Dev',
      '2026-12-25': 'Christmas',
    },
  },
  2027: {
    status: 'provisional',
    note:
      'NSE publishes the 2027 list in December 2026; until then only fixed-date holidays that ' +
      'fall on weekdays and Good Friday are listed. Festival dates must be added from the circular.',
    holidays: {
      '2027-01-26': 'Republic Day',
      '2027-03-26': 'Good Friday',
      '2027-04-14': 'Dr. Baba Saheb Ambedkar Jayanti',
    },
  },
};

export type DayKind = 'TRADING_DAY' | 'WEEKEND' | 'HOLIDAY';

export interface DayInfo {
  readonly date: string;
  readonly kind: DayKind;
  /** The holiday's occasion, when `kind` is HOLIDAY. */
  readonly occasion?: string;
  /** Why this answer may be wrong (provisional or missing holiday data), if it may be. */
  readonly calendarWarning?: string;
}

export type MarketPhase = 'PRE_OPEN' | 'OPEN' | 'CLOSED';

/** What the exchange is doing at an instant, in IST terms. */
export interface MarketStatus {
  readonly date: string;
  readonly day: DayInfo;
  readonly phase: MarketPhase;
  readonly open: boolean;
  /** At or after 15:25 IST on a trading day, before the close. */
  readonly squareOffDue: boolean;
}

/** Holiday calendar of the NSE equity segment. */
export class MarketCalendar {
  constructor(private readonly years: Readonly<Record<number, HolidayYear>> = NSE_HOLIDAYS) {}

  /** Classifies an IST calendar date `YYYY-MM-DD`. */
  day(date: string): DayInfo {
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    const year = this.years[Number(date.slice(0, 4))];
    const calendarWarning = !year
      ? `no NSE holiday data for ${date.slice(0, 4)}: every weekday is treated as a trading day`
      : year.status === 'provisional'
        ? `NSE holidays for ${date.slice(0, 4)} are provisional: ${year.note}`
        : undefined;
    const base = calendarWarning ? { date, calendarWarning } : { date };
    if (weekday === 0 || weekday === 6) return { ...base, kind: 'WEEKEND' };
    const occasion = year?.holidays[date];
    if (occasion) return { ...base, kind: 'HOLIDAY', occasion };
    return { ...base, kind: 'TRADING_DAY' };
  }

  isTradingDay(date: string): boolean {
    return this.day(date).kind === 'TRADING_DAY';
  }

  /** The last trading day strictly before `date`. */
  previousTradingDay(date: string): string {
    let d = addDays(date, -1);
    for (let i = 0; i < 30 && !this.isTradingDay(d); i += 1) d = addDays(d, -1);
    return d;
  }

  /** The first trading day strictly after `date`. */
  nextTradingDay(date: string): string {
    let d = addDays(date, 1);
    for (let i = 0; i < 30 && !this.isTradingDay(d); i += 1) d = addDays(d, 1);
    return d;
  }

  status(epochMs: number): MarketStatus {
    const date = istDate(epochMs);
    const day = this.day(date);
    const minute = istMinuteOfDay(epochMs);
    const { open, close } = SESSION_MINUTE;
    const tradingDay = day.kind === 'TRADING_DAY';
    const phase: MarketPhase =
      tradingDay && minute >= open && minute < close
        ? 'OPEN'
        : tradingDay && minute >= open - 15 && minute < open
          ? 'PRE_OPEN'
          : 'CLOSED';
    return {
      date,
      day,
      phase,
      open: phase === 'OPEN',
      squareOffDue: phase === 'OPEN' && minute >= SESSION_MINUTE.squareOff,
    };
  }
}
