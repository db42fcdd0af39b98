import { isIsoDate } from '../../contract/dates';
import { MarketCalendar } from '../../services/common/market-calendar';
import { formatIst, istDate, istTimeOn } from '../../services/common/time';

describe('MarketCalendar (NSE)', () => {
  const calendar = new MarketCalendar();

  it.each([
    ['2026-01-15', 'Municipal Corporation Election - Maharashtra'],
    ['2026-01-26', 'Republic Day'],
    ['2026-03-03', 'Holi'],
    ['2026-04-03', 'Good Friday'],
    ['2026-10-02', 'Mahatma Gandhi Jayanti'],
    ['2026-11-10', 'Diwali-Balipratipada'],
    ['2026-11-24', 'Prakash Gurpurb Sri Guru Nanak Dev'],
    ['2026-12-25', 'Christmas'],
  ])('closes on the 2026 holiday %s (%s)', (date, occasion) => {
    expect(calendar.day(date)).toEqual({ date, kind: 'HOLIDAY', occasion });
  });

  it('trades on an ordinary weekday and not on weekends', () => {
    expect(calendar.day('2026-11-23')).toMatchObject({
      kind: 'TRADING_DAY',
      session: { open: '09:15', close: '15:30', squareOff: '15:25' },
    });
    expect(calendar.day('2026-11-21').kind).toBe('WEEKEND');
    expect(calendar.day('2026-11-22').kind).toBe('WEEKEND');
  });

  it('trades on Sunday 1 February 2026, the Union Budget special session, at normal hours', () => {
    expect(calendar.day('2026-02-01')).toMatchObject({
      kind: 'TRADING_DAY',
      specialSession: 'Union Budget (Sunday live session)',
      session: { open: '09:15', close: '15:30', squareOff: '15:25' },
      settlementHoliday: expect.stringMatching(/no settlement/),
    });
    expect(calendar.isTradingDay('2026-02-01')).toBe(true);
    expect(calendar.isTradingDay('2026-02-08')).toBe(false);
    expect(calendar.previousTradingDay('2026-02-02')).toBe('2026-02-01');
    expect(calendar.nextTradingDay('2026-01-30')).toBe('2026-02-01');
  });

  it('opens, squares off and closes the Muhurat session at its own evening hours', () => {
    const at = (hhmm: string) => calendar.status(istTimeOn('2026-11-08', hhmm));

    expect(at('09:30')).toMatchObject({ open: false, phase: 'CLOSED' });
    expect(at('17:50')).toMatchObject({ open: false, phase: 'PRE_OPEN' });
    expect(at('18:00')).toMatchObject({ open: true, squareOffDue: false });
    expect(at('18:55')).toMatchObject({ open: true, squareOffDue: true });
    expect(at('19:00')).toMatchObject({ open: false, phase: 'CLOSED' });
    expect(calendar.day('2026-11-08').session).toEqual({
      open: '18:00',
      close: '19:00',
      squareOff: '18:55',
    });
  });

  it('marks the Muhurat hours provisional (no timing circular yet), and the Budget session not', () => {
    expect(calendar.day('2026-11-08')).toMatchObject({
      kind: 'TRADING_DAY',
      specialSession: 'Muhurat Trading, Diwali Laxmi Pujan',
      provisional: true,
    });
    expect(calendar.day('2026-02-01').provisional).toBeUndefined();
    expect(calendar.provisionalSessions('2026-01-01').map((d) => d.date)).toEqual(['2026-11-08']);
    expect(calendar.provisionalSessions('2026-11-08').map((d) => d.date)).toEqual(['2026-11-08']);
    expect(calendar.provisionalSessions('2026-11-09')).toEqual([]);
  });

  it('trades as usual on a settlement holiday, and says it is one', () => {
    expect(calendar.day('2026-02-19')).toEqual({
      date: '2026-02-19',
      kind: 'TRADING_DAY',
      session: { open: '09:15', close: '15:30', squareOff: '15:25' },
      settlementHoliday: 'Chhatrapati Shivaji Maharaj Jayanti',
    });
    expect(calendar.status(istTimeOn('2026-02-19', '10:00')).open).toBe(true);
  });

  it('treats a day of a year without a list as not a trading day (fail closed)', () => {
    expect(calendar.day('2028-03-01')).toMatchObject({
      kind: 'UNKNOWN',
      calendarWarning: expect.stringMatching(/no NSE calendar for 2028/),
    });
    expect(calendar.status(istTimeOn('2028-03-01', '10:00'))).toMatchObject({
      open: false,
      phase: 'CLOSED',
    });
    expect(calendar.day('2026-03-02').calendarWarning).toBeUndefined();
  });

  it('finds the previous and next trading days across weekends and holidays', () => {
    // Mon 23 Nov; Tue 24 Nov is Guru Nanak Jayanti.
    expect(calendar.nextTradingDay('2026-11-23')).toBe('2026-11-25');
    expect(calendar.previousTradingDay('2026-11-23')).toBe('2026-11-20');
  });

  it('is open from 09:15 to 15:30 IST, with the square-off due from 15:25', () => {
    const at = (hhmm: string) => calendar.status(istTimeOn('2026-11-23', hhmm));

    expect(at('09:14')).toMatchObject({ open: false, phase: 'PRE_OPEN' });
    expect(at('09:15')).toMatchObject({ open: true, phase: 'OPEN', squareOffDue: false });
    expect(at('15:24')).toMatchObject({ open: true, squareOffDue: false });
    expect(at('15:25')).toMatchObject({ open: true, squareOffDue: true });
    expect(at('15:30')).toMatchObject({ open: false, phase: 'CLOSED' });
  });

  it('is closed all day on a holiday', () => {
    expect(calendar.status(istTimeOn('2026-11-24', '11:00'))).toMatchObject({
      open: false,
      phase: 'CLOSED',
      day: { kind: 'HOLIDAY' },
    });
  });
});

describe('IST time', () => {
  it('keeps UTC epoch inside and shows IST', () => {
    const epoch = Date.parse('2026-11-23T03:45:00Z');

    expect(istTimeOn('2026-11-23', '09:15')).toBe(epoch);
    expect(formatIst(epoch)).toBe('2026-11-23 09:15:00 IST');
  });

  it('takes the IST date, which runs 5:30 ahead of UTC', () => {
    expect(istDate(Date.parse('2026-11-22T18:29:59Z'))).toBe('2026-11-22');
    expect(istDate(Date.parse('2026-11-22T18:30:00Z'))).toBe('2026-11-23');
  });

  it('accepts only real calendar dates', () => {
    expect(isIsoDate('2026-02-28')).toBe(true);
    expect(isIsoDate('2026-02-30')).toBe(false);
    expect(isIsoDate('26-02-01')).toBe(false);
  });
});
