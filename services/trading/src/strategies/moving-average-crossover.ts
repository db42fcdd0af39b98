import type { Bar } from '../market/bars';
import type { Signal, Strategy } from './strategy';

export interface MovingAverageCrossoverOptions {
  readonly id: string;
  readonly symbols: readonly string[];
  readonly fast: number;
  readonly slow: number;
  readonly stopPct: number;
  readonly riskFraction: number;
}

/**
 * Simple moving averages of one-minute closes: the fast crossing above the slow buys (or first
 * closes a short), crossing below sells (or first closes a long). Entries carry a stop `stopPct`
 * away.
 */
export class MovingAverageCrossover implements Strategy {
  readonly id: string;
  readonly symbols: readonly string[];
  readonly riskFraction: number;
  private readonly closes = new Map<string, number[]>();
  private readonly lastDiff = new Map<string, number>();

  constructor(private readonly options: MovingAverageCrossoverOptions) {
    this.id = options.id;
    this.symbols = options.symbols;
    this.riskFraction = options.riskFraction;
  }

  startSession(): void {
    this.closes.clear();
    this.lastDiff.clear();
  }

  onBar(bar: Bar, position: number): Signal | undefined {
    const { fast, slow, stopPct } = this.options;
    const closes = this.closes.get(bar.symbol) ?? [];
    closes.push(bar.close);
    if (closes.length > slow) closes.shift();
    this.closes.set(bar.symbol, closes);
    if (closes.length < slow) return undefined;
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const diff = mean(closes.slice(-fast)) - mean(closes);
    const previous = this.lastDiff.get(bar.symbol);
    this.lastDiff.set(bar.symbol, diff);
    if (previous === undefined) return undefined;
    const up = previous <= 0 && diff > 0;
    const down = previous >= 0 && diff < 0;
    if (up) {
      if (position < 0)
        return {
          symbol: bar.symbol,
          kind: 'EXIT',
          side: 'BUY',
          reason: 'fast average crossed above slow',
        };
      if (position === 0) {
        return {
          symbol: bar.symbol,
          kind: 'ENTRY',
          side: 'BUY',
          stopPrice: bar.close * (1 - stopPct / 100),
          reason: 'fast average crossed above slow',
        };
      }
    }
    if (down) {
      if (position > 0)
        return {
          symbol: bar.symbol,
          kind: 'EXIT',
          side: 'SELL',
          reason: 'fast average crossed below slow',
        };
      if (position === 0) {
        return {
          symbol: bar.symbol,
          kind: 'ENTRY',
          side: 'SELL',
          stopPrice: bar.close * (1 + stopPct / 100),
          reason: 'fast average crossed below slow',
        };
      }
    }
    return undefined;
  }
}
