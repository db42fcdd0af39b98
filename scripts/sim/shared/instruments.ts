/**
 * The simulators' instrument master: a few NSE equities and the NIFTY 50 index with their real
 * Kite instrument tokens (exchange token << 8 | segment, which is how ticker.js finds the segment
 * and the price divisor; the other brokers' keys are derived from them).
 */

/** One instrument the simulator lists, quotes and (when tradable) matches orders in. */
export interface SimInstrument {
  readonly instrumentToken: number;
  readonly tradingsymbol: string;
  readonly name: string;
  /** `NSE` for equities, `INDICES` for the index (not tradable, 8/28/32-byte ticker packets). */
  readonly segment: 'NSE' | 'INDICES';
  readonly tickPaise: number;
  readonly lotSize: number;
  /** The previous close, the centre of the circuit band and the start of the price walk. */
  readonly closePaise: number;
  /** Circuit band width as a fraction of the close (NSE's price bands: 0.02 to 0.2). */
  readonly circuitBand: number;
}

const equity = (
  exchangeToken: number,
  tradingsymbol: string,
  name: string,
  closeRupees: number,
): SimInstrument => ({
  instrumentToken: exchangeToken * 256 + 1,
  tradingsymbol,
  name,
  segment: 'NSE',
  tickPaise: 5,
  lotSize: 1,
  closePaise: closeRupees * 100,
  circuitBand: 0.2,
});

/** The default universe; INFY is 408065 and NIFTY 50 is 256265 at Kite too. */
export const DEFAULT_INSTRUMENTS: readonly SimInstrument[] = [
  equity(1594, 'INFY', 'INFOSYS', 1500),
  equity(2885, 'RELIANCE', 'RELIANCE INDUSTRIES', 2900),
  equity(11536, 'TCS', 'TATA CONSULTANCY SERV LT', 3900),
  equity(1333, 'HDFCBANK', 'HDFC BANK', 1650),
  equity(3045, 'SBIN', 'STATE BANK OF INDIA', 800),
  {
    instrumentToken: 256265,
    tradingsymbol: 'NIFTY 50',
    name: 'NIFTY 50',
    segment: 'INDICES',
    tickPaise: 0,
    lotSize: 0,
    closePaise: 2_400_000,
    circuitBand: 0.2,
  },
];

/** Whether orders may be placed in the instrument (indices are quoted, never traded). */
export const isTradable = (instrument: SimInstrument): boolean => instrument.segment === 'NSE';

/** The `[lower, upper]` circuit limits in paise, on the tick grid. */
export function circuitLimits(instrument: SimInstrument): { lower: number; upper: number } {
  const tick = instrument.tickPaise || 5;
  const band = instrument.closePaise * instrument.circuitBand;
  return {
    lower: Math.ceil((instrument.closePaise - band) / tick) * tick,
    upper: Math.floor((instrument.closePaise + band) / tick) * tick,
  };
}
