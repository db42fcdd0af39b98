import { DEFAULT_SCHEDULES } from '../../contract/stage';
import { nextRun } from '../../scripts/local/local-scheduler';

const ist = (text: string) => Date.parse(`${text}+05:30`);

describe('the local scheduler fires at the IST times of the stage schedules', () => {
  it.each([
    // The trading-day schedules fire daily; the handler asks the calendar (contract/stage.ts).
    ['tokenCheck', '2026-11-22T20:00:00', '2026-11-23T07:30:00'], // Sunday evening -> Monday
    ['morningChecklist', '2026-11-23T08:44:59', '2026-11-23T08:45:00'],
    ['morningChecklist', '2026-11-23T08:45:00', '2026-11-24T08:45:00'], // at the time: the next one
    ['eveningChecklist', '2026-11-27T17:00:00', '2026-11-28T16:00:00'], // Friday -> Saturday
    ['maintenance', '2026-11-23T10:00:00', '2026-11-28T06:00:00'], // Monday -> Saturday
    // Saturday 31 January -> Sunday 1 February 2026, the Budget session: the daily ones fire.
    ['tokenCheck', '2026-01-31T20:00:00', '2026-02-01T07:30:00'],
    ['morningChecklist', '2026-01-31T20:00:00', '2026-02-01T08:45:00'],
    ['deadlineCheck', '2026-01-31T20:00:00', '2026-02-01T09:05:00'],
    ['eveningChecklist', '2026-02-01T09:00:00', '2026-02-01T16:00:00'],
    ['records', '2026-02-01T09:00:00', '2026-02-01T16:10:00'],
  ] as const)('%s after %s IST: %s IST', (which, now, expected) => {
    expect(nextRun(DEFAULT_SCHEDULES[which], ist(now))).toBe(ist(expected));
  });
});
