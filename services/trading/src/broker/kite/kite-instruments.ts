import { istDate } from '../../../../common/time';
import {
  type KiteInstrument,
  KiteInstrumentSchema,
  KiteQuoteCircuitSchema,
  parseKite,
} from './kite-wire';

/** The calls of `KiteConnect` this cache makes. */
export interface KiteInstrumentSource {
  getInstruments(exchange: 'NSE'): Promise<unknown[]>;
  getQuote(instruments: string[]): Promise<unknown>;
}

/**
 * Kite's NSE instrument list (token, lot size, tick size), fetched once per IST trading day: the
 * list changes overnight and is a multi-megabyte download. Rows that do not parse are counted and
 * left out, so one odd row does not hide the rest.
 */
export class KiteInstruments {
  private day?: string;
  private bySymbol = new Map<string, KiteInstrument>();
  private byToken = new Map<number, KiteInstrument>();
  /** Rows of the last download that did not parse. */
  badRows = 0;

  constructor(
    private readonly kite: KiteInstrumentSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** Downloads the list unless today's is loaded. */
  async load(): Promise<void> {
    const today = istDate(this.now());
    if (this.day === today) return;
    const rows = await this.kite.getInstruments('NSE');
    const bySymbol = new Map<string, KiteInstrument>();
    const byToken = new Map<number, KiteInstrument>();
    let bad = 0;
    for (const row of rows) {
      const parsed = KiteInstrumentSchema.safeParse(row);
      if (!parsed.success || parsed.data.exchange !== 'NSE') {
        bad += parsed.success ? 0 : 1;
        continue;
      }
      bySymbol.set(parsed.data.tradingsymbol, parsed.data);
      byToken.set(parsed.data.instrument_token, parsed.data);
    }
    if (bySymbol.size === 0) throw new Error('Kite returned no NSE instruments');
    this.bySymbol = bySymbol;
    this.byToken = byToken;
    this.badRows = bad;
    this.day = today;
  }

  bySymbolName(symbol: string): KiteInstrument | undefined {
    return this.bySymbol.get(symbol);
  }

  byInstrumentToken(token: number): KiteInstrument | undefined {
    return this.byToken.get(token);
  }

  /** Today's circuit limits of `symbols` (from /quote): the price collar's outer bounds. */
  async circuitLimits(
    symbols: readonly string[],
  ): Promise<Map<string, { lower: number; upper: number }>> {
    const raw = await this.kite.getQuote(symbols.map((s) => `NSE:${s}`));
    const quotes = parseKite(KiteQuoteCircuitSchema, raw, 'quote');
    const limits = new Map<string, { lower: number; upper: number }>();
    for (const [key, q] of Object.entries(quotes))
      limits.set(key.replace(/^NSE:/, ''), {
        lower: q.lower_circuit_limit,
        upper: q.upper_circuit_limit,
      });
    return limits;
  }
}
