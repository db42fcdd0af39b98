import { MINUTE_MS } from '../../../common/time';

export interface Tick {
  readonly symbol: string;
  readonly price: number;
  readonly bid: number;
  readonly ask: number;
  /** Session time of the tick (epoch ms). */
  readonly time: number;
}

export interface Bar {
  readonly symbol: string;
  /** Start of the minute, session time (epoch ms). */
  readonly start: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly ticks: number;
}

/** Builds one-minute bars per symbol from ticks; a bar is complete when a later minute starts. */
export class BarAggregator {
  private readonly current = new Map<string, { -readonly [K in keyof Bar]: Bar[K] }>();

  /** Adds a tick and returns the bar it completed, if any. */
  add(tick: Tick): Bar | undefined {
    const start = Math.floor(tick.time / MINUTE_MS) * MINUTE_MS;
    const bar = this.current.get(tick.symbol);
    if (bar && bar.start === start) {
      bar.high = Math.max(bar.high, tick.price);
      bar.low = Math.min(bar.low, tick.price);
      bar.close = tick.price;
      bar.ticks += 1;
      return undefined;
    }
    this.current.set(tick.symbol, {
      symbol: tick.symbol,
      start,
      open: tick.price,
      high: tick.price,
      low: tick.price,
      close: tick.price,
      ticks: 1,
    });
    // A tick from an earlier minute (a session that started over) discards the partial bar.
    return bar && bar.start < start ? { ...bar } : undefined;
  }
}
