import { istDate, istTimeOn } from '../../services/common/time';

describe('IST dates', () => {
  it('turns the date at IST midnight (18:30 UTC), whatever day was asked before', () => {
    const midnight = Date.UTC(2026, 10, 26, 18, 30);
    expect(istDate(midnight - 1)).toBe('2026-11-26');
    expect(istDate(midnight)).toBe('2026-11-27');
    expect(istDate(midnight - 1)).toBe('2026-11-26');
    expect(istDate(Date.UTC(2025, 0, 1, 0, 0))).toBe('2025-01-01');
    expect(istDate(midnight + 1)).toBe('2026-11-27');
  });

  it('gives HH:MM IST on a date, for each date asked in turn', () => {
    expect(istTimeOn('2026-11-26', '09:15')).toBe(Date.UTC(2026, 10, 26, 3, 45));
    expect(istTimeOn('2026-11-27', '15:30')).toBe(Date.UTC(2026, 10, 27, 10, 0));
    expect(istTimeOn('2026-11-26', '15:30')).toBe(Date.UTC(2026, 10, 26, 10, 0));
    expect(() => istTimeOn('2026-13-45', '09:15')).toThrow('Bad IST date/time');
  });
});
