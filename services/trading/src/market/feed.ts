import { readFile } from 'node:fs/promises';
import { SESSION_MINUTE } from '../../../common/market-calendar';
import { MINUTE_MS } from '../../../common/time';
import { type Instrument, roundToTick } from '../domain';
import type { Tick } from './bars';
import { normal, seededRandom } from './random';
import type { TradingSession } from './session';

/** Market data for paper mode. Freshness is measured in real time, whatever the session clock. */
export interface MarketDataFeed {
  readonly name: string;
  start(onTick: (tick: Tick) => void): void;
  stop(): void;
  /** Real time (epoch ms) of the last trade tick and the last depth update, per source. */
  lastUpdates(): { readonly ticks?: number; readonly depth?: number };
}

export interface SimulatedFeedOptions {
  readonly seed: number;
  /** Real milliseconds between ticks. */
  readonly tickMs: number;
  /** Annualised-free daily volatility of each symbol. @default 0.015 */
  readonly dailyVolatility?: number;
}

/**
 * Seeded random walks around each instrument's reference price, with drifts that change every
 * half hour of session time so that trends (and therefore signals) occur.
 */
export class SimulatedFeed implements MarketDataFeed {
  readonly name = 'simulated';
  private timer?: NodeJS.Timeout;
  private lastTick?: number;
  private lastDepth?: number;
  private lastSessionTime?: number;
  private readonly random: () => number;
  private readonly state = new Map<string, { price: number; drift: number; regimeEnds: number }>();

  constructor(
    private readonly instruments: () => readonly Instrument[],
    private readonly session: TradingSession,
    private readonly options: SimulatedFeedOptions,
  ) {
    this.random = seededRandom(options.seed);
  }

  start(onTick: (tick: Tick) => void): void {
    this.timer = setInterval(() => {
      for (const tick of this.step()) onTick(tick);
    }, this.options.tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  lastUpdates() {
    return { ticks: this.lastTick, depth: this.lastDepth };
  }

  /** One round of ticks, one per instrument. Public for tests. */
  step(): Tick[] {
    const now = this.session.now();
    // Session minutes since the previous round; the session clock may run faster than real time.
    const dtMinutes = Math.max(0, Math.min(5, (now - (this.lastSessionTime ?? now)) / MINUTE_MS));
    this.lastSessionTime = now;
    const sigma =
      (this.options.dailyVolatility ?? 0.015) /
      Math.sqrt(SESSION_MINUTE.close - SESSION_MINUTE.open);
    const ticks: Tick[] = [];
    for (const instrument of this.instruments()) {
      let s = this.state.get(instrument.symbol);
      if (!s) {
        s = { price: instrument.referencePrice, drift: 0, regimeEnds: 0 };
        this.state.set(instrument.symbol, s);
      }
      if (now >= s.regimeEnds) {
        s.drift = (this.random() - 0.5) * 4 * sigma;
        s.regimeEnds = now + 30 * MINUTE_MS;
      }
      s.price *= Math.exp(s.drift * dtMinutes + sigma * Math.sqrt(dtMinutes) * normal(this.random));
      const price = roundToTick(s.price, instrument.tickSize);
      ticks.push({
        symbol: instrument.symbol,
        price,
        bid: roundToTick(price - instrument.tickSize, instrument.tickSize),
        ask: roundToTick(price + instrument.tickSize, instrument.tickSize),
        time: now,
      });
    }
    const real = Date.now();
    this.lastTick = real;
    this.lastDepth = real;
    return ticks;
  }
}

interface CsvBar {
  readonly symbol: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/**
 * Replays a CSV of one-minute bars (`timestamp,symbol,open,high,low,close[,volume]`, rows in time
 * order): each bar becomes four ticks (open, the nearer extreme, the farther one, close) spread
 * over one minute of session time. At the end of the file it starts over.
 */
export class CsvReplayFeed implements MarketDataFeed {
  readonly name = 'csv';
  private timer?: NodeJS.Timeout;
  private lastTick?: number;
  private cursor = new Map<string, number>();
  private emittedMinute?: number;

  private constructor(
    private readonly bars: ReadonlyMap<string, readonly CsvBar[]>,
    private readonly session: TradingSession,
    private readonly tickMs: number,
  ) {}

  static async fromFile(
    file: string,
    session: TradingSession,
    tickMs: number,
  ): Promise<CsvReplayFeed> {
    return new CsvReplayFeed(parseBarsCsv(await readFile(file, 'utf8'), file), session, tickMs);
  }

  start(onTick: (tick: Tick) => void): void {
    this.timer = setInterval(() => {
      for (const tick of this.due()) onTick(tick);
    }, this.tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  lastUpdates() {
    return { ticks: this.lastTick, depth: this.lastTick };
  }

  private due(): Tick[] {
    const now = this.session.now();
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const quarter = Math.floor((now - minute) / (MINUTE_MS / 4));
    const ticks: Tick[] = [];
    if (this.emittedMinute !== minute) {
      this.emittedMinute = minute;
      for (const [symbol, list] of this.bars)
        this.cursor.set(symbol, ((this.cursor.get(symbol) ?? -1) + 1) % list.length);
    }
    for (const [symbol, list] of this.bars) {
      const bar = list[this.cursor.get(symbol) ?? 0];
      if (!bar) continue;
      const up = bar.close >= bar.open;
      const path = [bar.open, up ? bar.low : bar.high, up ? bar.high : bar.low, bar.close];
      const price = path[Math.min(3, quarter)] ?? bar.close;
      ticks.push({ symbol, price, bid: price, ask: price, time: now });
    }
    if (ticks.length > 0) this.lastTick = Date.now();
    return ticks;
  }
}

/** Parses the bars CSV; a bad row names its line. */
export function parseBarsCsv(text: string, source: string): Map<string, CsvBar[]> {
  const bars = new Map<string, CsvBar[]>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (index === 0 && /^\s*timestamp\s*,/i.test(line)) return;
    if (!line.trim()) return;
    const [timestamp, symbol, ...numbers] = line.split(',').map((c) => c.trim());
    const [open, high, low, close] = numbers.map(Number);
    const valid =
      timestamp &&
      symbol &&
      [open, high, low, close].every((n) => n !== undefined && Number.isFinite(n) && n > 0);
    if (
      !valid ||
      open === undefined ||
      high === undefined ||
      low === undefined ||
      close === undefined
    ) {
      throw new Error(
        `${source}:${index + 1}: expected timestamp,symbol,open,high,low,close, got ${JSON.stringify(line)}`,
      );
    }
    if (high < Math.max(open, close, low) || low > Math.min(open, close)) {
      throw new Error(`${source}:${index + 1}: high/low do not contain open/close`);
    }
    const list = bars.get(symbol) ?? [];
    list.push({ symbol, open, high, low, close });
    bars.set(symbol, list);
  });
  if (bars.size === 0) throw new Error(`${source}: no bars`);
  return bars;
}
