import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { parseOrThrow } from '../../../contract/validation';
import { messageOf } from '../../common/errors';
import type { Instrument } from './domain';

export const InstrumentSchema = z
  .object({
    symbol: z.string().regex(/^[A-Z][A-Z0-9&-]{0,19}$/, 'expected an NSE symbol such as RELIANCE'),
    exchange: z.literal('NSE'),
    tickSize: z.number().positive().max(100),
    lotSize: z.number().int().positive(),
    referencePrice: z.number().positive(),
  })
  .strict();

export const UniverseSchema = z
  .array(InstrumentSchema)
  .min(1)
  .refine(
    (list) => new Set(list.map((i) => i.symbol)).size === list.length,
    'symbols must be unique',
  );

/** Large-cap NSE equities; reference prices only seed the paper simulation. */
export const DEFAULT_UNIVERSE: readonly Instrument[] = [
  ['RELIANCE', 1420],
  ['TCS', 3450],
  ['HDFCBANK', 980],
  ['INFY', 1560],
  ['ICICIBANK', 1380],
  ['SBIN', 820],
  ['ITC', 415],
  ['LT', 3650],
  ['AXISBANK', 1150],
  ['BHARTIARTL', 1920],
].map(([symbol, price]) => ({
  symbol: symbol as string,
  exchange: 'NSE' as const,
  tickSize: 0.05,
  lotSize: 1,
  referencePrice: price as number,
}));

/** The tradable universe: a JSON file when configured (reloadable), else the default. */
export class Universe {
  private bySymbol: ReadonlyMap<string, Instrument>;

  constructor(
    instruments: readonly Instrument[],
    private readonly file?: string,
  ) {
    this.bySymbol = new Map(instruments.map((i) => [i.symbol, i]));
  }

  static async load(file?: string): Promise<Universe> {
    return new Universe(file ? await readUniverseFile(file) : DEFAULT_UNIVERSE, file);
  }

  get(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol);
  }

  list(): Instrument[] {
    return [...this.bySymbol.values()];
  }

  /**
   * Re-reads the file. A file that fails validation changes nothing: the old universe stays.
   * Returns the symbols added and removed.
   */
  async reload(): Promise<{ added: string[]; removed: string[]; source: string }> {
    if (!this.file) {
      return {
        added: [],
        removed: [],
        source: 'built-in default (set UNIVERSE_FILE to reload from a file)',
      };
    }
    const next = await readUniverseFile(this.file);
    const before = new Set(this.bySymbol.keys());
    const after = new Set(next.map((i) => i.symbol));
    this.bySymbol = new Map(next.map((i) => [i.symbol, i]));
    return {
      added: [...after].filter((s) => !before.has(s)),
      removed: [...before].filter((s) => !after.has(s)),
      source: this.file,
    };
  }
}

async function readUniverseFile(file: string): Promise<Instrument[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`Universe file ${file}: ${messageOf(error)}`);
  }
  return parseOrThrow(UniverseSchema, parsed, `universe file ${file}`);
}
