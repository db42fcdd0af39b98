/**
 * Time is UTC epoch milliseconds everywhere inside; IST (UTC+05:30, no daylight saving) is only
 * for display and for the exchange's wall-clock rules.
 */
export const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;
export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;

/** A source of the current time, so that tests and the local session clock can move it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

// The day last asked about: the order path asks for today many times per order.
let lastDay = { from: 0, to: 0, date: '' };

/** `YYYY-MM-DD` of the IST calendar day containing `epochMs`. */
export function istDate(epochMs: number): string {
  if (epochMs >= lastDay.from && epochMs < lastDay.to) return lastDay.date;
  const date = new Date(epochMs + IST_OFFSET_MS).toISOString().slice(0, 10);
  const from = Math.floor((epochMs + IST_OFFSET_MS) / DAY_MS) * DAY_MS - IST_OFFSET_MS;
  lastDay = { from, to: from + DAY_MS, date };
  return date;
}

/** Minutes since IST midnight. */
export function istMinuteOfDay(epochMs: number): number {
  const shifted = new Date(epochMs + IST_OFFSET_MS);
  return shifted.getUTCHours() * 60 + shifted.getUTCMinutes();
}

/** Day of week in IST: 0 Sunday ... 6 Saturday. */
export function istWeekday(epochMs: number): number {
  return new Date(epochMs + IST_OFFSET_MS).getUTCDay();
}

let lastMidnight = { isoDate: '', utc: Number.NaN };

/** Epoch ms of `HH:MM` IST on the IST date `YYYY-MM-DD`. */
export function istTimeOn(isoDate: string, hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  if (isoDate !== lastMidnight.isoDate)
    lastMidnight = { isoDate, utc: Date.parse(`${isoDate}T00:00:00Z`) };
  const midnightUtc = lastMidnight.utc;
  if (Number.isNaN(midnightUtc) || h === undefined || m === undefined) {
    throw new Error(`Bad IST date/time ${JSON.stringify(isoDate)} ${JSON.stringify(hhmm)}`);
  }
  return midnightUtc + (h * 60 + m) * MINUTE_MS - IST_OFFSET_MS;
}

/** `YYYY-MM-DD HH:MM:SS IST` for people. */
export function formatIst(epochMs: number): string {
  return `${new Date(epochMs + IST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')} IST`;
}

/** ISO 8601 UTC (`2026-11-26T11:31:09.000Z`): how machine-readable output carries a time. */
export function isoUtc(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** The IST date `days` after `isoDate`. */
export function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
