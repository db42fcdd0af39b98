import type { SimInstrument } from '../shared/instruments';

/** The `/instruments/NSE` CSV in Kite's column order. */

const CSV_HEADER =
  'instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange';

const csvField = (value: string): string =>
  /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;

/**
 * `/instruments/NSE` as Kite serves it: a CSV with a header row; last_price is 0 in Kite's dump
 * (it is a daily file, not a quote), expiry empty and strike 0 for equities.
 */
export function instrumentsCsv(instruments: readonly SimInstrument[]): string {
  const rows = instruments.map((i) =>
    [
      String(i.instrumentToken),
      String(Math.floor(i.instrumentToken / 256)),
      csvField(i.tradingsymbol),
      csvField(i.name),
      '0',
      '',
      '0',
      String(i.tickPaise / 100),
      String(i.lotSize),
      'EQ',
      i.segment,
      'NSE',
    ].join(','),
  );
  return `${[CSV_HEADER, ...rows].join('\n')}\n`;
}
