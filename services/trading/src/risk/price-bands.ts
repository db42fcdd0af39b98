import { messageOf } from '../../../common/errors';
import type { Broker, PriceBand } from '../broker/broker';

/** Where the bands come from (`Broker.priceBands`) and which symbols to ask for. */
export interface PriceBandSource {
  priceBands(symbols: readonly string[]): Promise<ReadonlyMap<string, PriceBand>>;
  symbols(): readonly string[];
}

/** The broker's price-band capability, if it has one, for the universe's symbols. */
export function priceBandSourceOf(
  broker: Broker,
  symbols: () => readonly string[],
): PriceBandSource | undefined {
  const { priceBands } = broker;
  if (!priceBands) return undefined;
  return { priceBands: (s) => priceBands.call(broker, s), symbols };
}

/**
 * The exchange's circuit limits as the outer bound of the price collar: read in the background
 * (`refresh`), checked in memory. A priced entry whose band is unknown (never read, or the last
 * read failed) is refused; an exit is checked only against a band it knows, so that a quote
 * outage never keeps a position open.
 */
export class PriceBandCheck {
  private bands = new Map<string, PriceBand>();
  private failure?: string;

  constructor(private readonly source: PriceBandSource) {}

  async refresh(): Promise<void> {
    try {
      this.bands = new Map(await this.source.priceBands(this.source.symbols()));
      this.failure = undefined;
    } catch (error) {
      this.failure = messageOf(error);
    }
  }

  /** Why `price` cannot be sent for `symbol` (undefined: inside the band). */
  refusal(symbol: string, price: number, reduceOnly: boolean): string | undefined {
    const band = this.failure === undefined ? this.bands.get(symbol) : undefined;
    if (!band) {
      if (reduceOnly) return undefined;
      return `circuit limits of ${symbol} unknown${this.failure ? ` (${this.failure})` : ''}: a priced entry is not sent`;
    }
    if (price < band.lower || price > band.upper)
      return `price ${price} is outside ${symbol}'s circuit band ${band.lower}-${band.upper}`;
    return undefined;
  }
}
