import { SESSION_MINUTE } from '../../../common/market-calendar';
import { istMinuteOfDay } from '../../../common/time';
import type { Bar } from '../market/bars';
import type { Signal, Strategy } from './strategy';

export interface OpeningRangeBreakoutOptions {
  readonly id: string;
  readonly symbols: readonly string[];
  readonly rangeMinutes: number;
  readonly riskFraction: number;
}

/**
 * Opening-range breakout: the high and low of the first `rangeMinutes` from 09:15 IST make the
 * range; a later close above it buys with the stop at the range low, below it sells with the
 * stop at the range high. One entry per symbol per session; exits come from the stop and the
 * 15:25 square-off.
 */
export class OpeningRangeBreakout implements Strategy {
  readonly id: string;
  readonly symbols: readonly string[];
  readonly riskFraction: number;
  private readonly rangeMinutes: number;
  private readonly ranges = new Map<string, { high: number; low: number }>();
  private readonly entered = new Set<string>();

  constructor(options: OpeningRangeBreakoutOptions) {
    this.id = options.id;
    this.symbols = options.symbols;
    this.rangeMinutes = options.rangeMinutes;
    this.riskFraction = options.riskFraction;
  }

  startSession(): void {
    this.ranges.clear();
    this.entered.clear();
  }

  onBar(bar: Bar, position: number): Signal | undefined {
    const minute = istMinuteOfDay(bar.start);
    if (minute < SESSION_MINUTE.open) return undefined;
    if (minute < SESSION_MINUTE.open + this.rangeMinutes) {
      const r = this.ranges.get(bar.symbol);
      this.ranges.set(
        bar.symbol,
        r
          ? { high: Math.max(r.high, bar.high), low: Math.min(r.low, bar.low) }
          : { high: bar.high, low: bar.low },
      );
      return undefined;
    }
    const range = this.ranges.get(bar.symbol);
    if (!range || position !== 0 || this.entered.has(bar.symbol)) return undefined;
    // A range narrower than 0.1% is noise, not a level.
    if ((range.high - range.low) / range.low < 0.001) return undefined;
    if (bar.close > range.high) {
      this.entered.add(bar.symbol);
      return {
        symbol: bar.symbol,
        kind: 'ENTRY',
        side: 'BUY',
        stopPrice: range.low,
        reason: `close ${bar.close} above opening range high ${range.high}`,
      };
    }
    if (bar.close < range.low) {
      this.entered.add(bar.symbol);
      return {
        symbol: bar.symbol,
        kind: 'ENTRY',
        side: 'SELL',
        stopPrice: range.high,
        reason: `close ${bar.close} below opening range low ${range.low}`,
      };
    }
    return undefined;
  }
}
