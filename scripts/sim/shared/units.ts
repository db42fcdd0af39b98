/**
 * The simulators' units: integer paise inside, rupees on the wire, and the IST wall-clock
 * timestamps ("YYYY-MM-DD HH:MM:SS") Kite and Upstox print.
 */

const IST_OFFSET_MS = 330 * 60_000;

/** Epoch milliseconds as IST wall-clock time, 19 characters. */
export function istTimestamp(epochMs: number): string {
  return new Date(epochMs + IST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** Paise (the simulators' integer price unit) to the rupee value the brokers' JSON carries. */
export const rupees = (paise: number): number => Math.round(paise) / 100;

/**
 * A rupee price from a request to integer paise. Returns undefined when the value has more
 * precision than a paisa, which a broker refuses like an off-tick price.
 */
export function toPaise(rupeeValue: number): number | undefined {
  const paise = Math.round(rupeeValue * 100);
  return Math.abs(paise - rupeeValue * 100) < 1e-6 ? paise : undefined;
}
