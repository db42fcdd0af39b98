import { seededRandom } from '../../../services/trading/src/market/random';
import { circuitLimits, type SimInstrument } from './instruments';

/** One level of the 5-level order book, in paise. */
export interface DepthLevel {
  readonly pricePaise: number;
  readonly quantity: number;
  readonly orders: number;
}

/** The market state of one instrument after the latest step; prices in integer paise. */
export interface MarketState {
  readonly instrument: SimInstrument;
  readonly ltpPaise: number;
  readonly lastQuantity: number;
  readonly averagePaise: number;
  readonly volume: number;
  readonly totalBuyQuantity: number;
  readonly totalSellQuantity: number;
  readonly openPaise: number;
  readonly highPaise: number;
  readonly lowPaise: number;
  readonly closePaise: number;
  readonly lowerCircuitPaise: number;
  readonly upperCircuitPaise: number;
  /** Epoch seconds of the last trade and of the exchange's stamp on this state. */
  readonly lastTradeSec: number;
  readonly exchangeSec: number;
  readonly depth: { readonly buy: readonly DepthLevel[]; readonly sell: readonly DepthLevel[] };
}

interface Walker {
  readonly instrument: SimInstrument;
  readonly random: () => number;
  state: MarketState;
  turnoverPaise: number;
}

/**
 * A deterministic random walk per instrument: each `step()` moves every price by a few ticks
 * (seeded per instrument token), never outside the circuit band, and trades a seeded quantity.
 * Tests can also pin a price (`setPrice`) to cross an order exactly.
 */
export class PriceWalk {
  private readonly walkers = new Map<number, Walker>();
  private stepCount = 0;

  constructor(
    instruments: readonly SimInstrument[],
    seed: number,
    private readonly now: () => number,
  ) {
    for (const instrument of instruments) {
      const random = seededRandom(seed ^ instrument.instrumentToken);
      const walker: Walker = {
        instrument,
        random,
        turnoverPaise: 0,
        state: this.initial(instrument),
      };
      this.walkers.set(instrument.instrumentToken, walker);
    }
  }

  /** How many steps the walk has taken (observable progress for tests). */
  get steps(): number {
    return this.stepCount;
  }

  /** The current state of an instrument, or undefined for a token the simulator does not list. */
  state(instrumentToken: number): MarketState | undefined {
    return this.walkers.get(instrumentToken)?.state;
  }

  /** Advances every instrument by one trade. */
  step(): void {
    this.stepCount += 1;
    for (const walker of this.walkers.values()) {
      const tick = walker.instrument.tickPaise || 5;
      const moveTicks = Math.floor(walker.random() * 7) - 3;
      this.trade(walker, walker.state.ltpPaise + moveTicks * tick * this.scale(walker));
    }
  }

  /** Pins an instrument's last price (clamped to its circuit band), as one trade. */
  setPrice(instrumentToken: number, pricePaise: number): MarketState {
    const walker = this.walkers.get(instrumentToken);
    if (!walker) throw new Error(`no instrument with token ${instrumentToken}`);
    this.trade(walker, pricePaise);
    return walker.state;
  }

  /** Indices move in larger steps so their walk looks like one. */
  private scale(walker: Walker): number {
    return walker.instrument.segment === 'INDICES' ? 100 : 1;
  }

  private initial(instrument: SimInstrument): MarketState {
    const { lower, upper } = circuitLimits(instrument);
    const sec = Math.floor(this.now() / 1000);
    const close = instrument.closePaise;
    return {
      instrument,
      ltpPaise: close,
      lastQuantity: 0,
      averagePaise: close,
      volume: 0,
      totalBuyQuantity: 0,
      totalSellQuantity: 0,
      openPaise: close,
      highPaise: close,
      lowPaise: close,
      closePaise: close,
      lowerCircuitPaise: lower,
      upperCircuitPaise: upper,
      lastTradeSec: sec,
      exchangeSec: sec,
      depth: this.depth(instrument, close, () => 0.5),
    };
  }

  private trade(walker: Walker, rawPricePaise: number): void {
    const previous = walker.state;
    const price = Math.min(
      previous.upperCircuitPaise,
      Math.max(previous.lowerCircuitPaise, rawPricePaise),
    );
    const quantity = 1 + Math.floor(walker.random() * 50);
    walker.turnoverPaise += price * quantity;
    const volume = previous.volume + quantity;
    const sec = Math.floor(this.now() / 1000);
    const depth = this.depth(walker.instrument, price, walker.random);
    walker.state = {
      ...previous,
      ltpPaise: price,
      lastQuantity: quantity,
      volume,
      averagePaise: Math.round(walker.turnoverPaise / volume),
      highPaise: Math.max(previous.highPaise, price),
      lowPaise: Math.min(previous.lowPaise, price),
      totalBuyQuantity: depth.buy.reduce((sum, level) => sum + level.quantity, 0) * 20,
      totalSellQuantity: depth.sell.reduce((sum, level) => sum + level.quantity, 0) * 20,
      lastTradeSec: sec,
      exchangeSec: sec,
      depth,
    };
  }

  /** Five bids below and five asks above the last price, one tick apart; none for indices. */
  private depth(instrument: SimInstrument, ltp: number, random: () => number) {
    if (instrument.segment === 'INDICES') return { buy: [], sell: [] };
    const tick = instrument.tickPaise;
    const level = (pricePaise: number): DepthLevel => ({
      pricePaise,
      quantity: 10 + Math.floor(random() * 490),
      orders: 1 + Math.floor(random() * 20),
    });
    const buy: DepthLevel[] = [];
    const sell: DepthLevel[] = [];
    for (let i = 1; i <= 5; i += 1) {
      buy.push(level(ltp - i * tick));
      sell.push(level(ltp + i * tick));
    }
    return { buy, sell };
  }
}
