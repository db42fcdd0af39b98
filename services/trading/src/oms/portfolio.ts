import type { Quote, QuoteSource } from '../broker/broker';
import { type Position, type Side, sideSign } from '../domain';

const key = (strategyId: string, symbol: string) => `${strategyId}\u0000${symbol}`;

/** What one fill did to a position. */
export interface FillEffect {
  readonly position: Position;
  /** P&L realized by reducing the position. */
  readonly realizedPnl: number;
  /** The fill reduced or closed a position. */
  readonly closesPosition: boolean;
}

/**
 * Positions, marks and today's P&L, in memory for the risk check's sake. This task's own
 * positions (of the strategies it holds) change with its fills; other tasks' positions are a
 * snapshot refreshed from PostgreSQL, so that limits apply to the whole account.
 */
export class Portfolio implements QuoteSource {
  private readonly own = new Map<string, Position>();
  private others: readonly Position[] = [];
  private readonly marks = new Map<string, Quote>();

  quote(symbol: string): Quote | undefined {
    return this.marks.get(symbol);
  }

  mark(symbol: string, quote: Quote): void {
    this.marks.set(symbol, quote);
  }

  position(strategyId: string, symbol: string): Position | undefined {
    return this.own.get(key(strategyId, symbol));
  }

  /** Own positions that are not flat. */
  openPositions(): Position[] {
    return [...this.own.values()].filter((p) => p.quantity !== 0);
  }

  /** Own and others' positions, flat ones included (they may carry today's realized P&L). */
  allPositions(): Position[] {
    return [...this.own.values(), ...this.others];
  }

  /** Net quantity of a symbol across the account. */
  netQuantity(symbol: string): number {
    let net = 0;
    for (const p of this.own.values()) if (p.symbol === symbol) net += p.quantity;
    for (const p of this.others) if (p.symbol === symbol) net += p.quantity;
    return net;
  }

  /** Replaces a held strategy's positions, e.g. when its lease is acquired. */
  load(strategyId: string, positions: readonly Position[]): void {
    this.drop(strategyId);
    for (const p of positions) this.own.set(key(p.strategyId, p.symbol), { ...p });
  }

  /** Forgets a strategy this task no longer holds. */
  drop(strategyId: string): void {
    for (const [k, p] of this.own) if (p.strategyId === strategyId) this.own.delete(k);
  }

  /** Positions of strategies held by other tasks. */
  setOthers(positions: readonly Position[]): void {
    this.others = positions;
  }

  /** A new trading day: realized P&L starts from zero. */
  startDay(): void {
    for (const p of this.own.values()) p.realizedPnl = 0;
    this.others = this.others.map((p) => ({ ...p, realizedPnl: 0 }));
  }

  applyFill(
    strategyId: string,
    symbol: string,
    side: Side,
    quantity: number,
    price: number,
    stopPrice?: number,
  ): FillEffect {
    const k = key(strategyId, symbol);
    const p = this.own.get(k) ?? { strategyId, symbol, quantity: 0, avgPrice: 0, realizedPnl: 0 };
    const sign = sideSign(side);
    let realized = 0;
    let closes = false;
    if (p.quantity === 0 || Math.sign(p.quantity) === sign) {
      const next = p.quantity + sign * quantity;
      p.avgPrice = (p.avgPrice * Math.abs(p.quantity) + price * quantity) / Math.abs(next);
      p.quantity = next;
      if (stopPrice !== undefined) p.stopPrice = stopPrice;
    } else {
      const closing = Math.min(Math.abs(p.quantity), quantity);
      realized = closing * (price - p.avgPrice) * Math.sign(p.quantity);
      closes = true;
      p.quantity += sign * closing;
      const rest = quantity - closing;
      if (p.quantity === 0) {
        p.avgPrice = 0;
        p.stopPrice = undefined;
      }
      if (rest > 0) {
        p.quantity = sign * rest;
        p.avgPrice = price;
        p.stopPrice = stopPrice;
      }
    }
    p.realizedPnl += realized;
    this.own.set(k, p);
    return { position: { ...p }, realizedPnl: realized, closesPosition: closes };
  }

  /**
   * Open risk in INR: for each position, the distance from its average price to its stop times
   * its size. A position without a stop counts with its whole notional: unknown risk is risk.
   */
  heatInr(): number {
    let heat = 0;
    for (const p of this.allPositions()) {
      if (p.quantity === 0) continue;
      const size = Math.abs(p.quantity);
      heat +=
        p.stopPrice === undefined ? size * p.avgPrice : size * Math.abs(p.avgPrice - p.stopPrice);
    }
    return heat;
  }

  unrealizedInr(): number {
    let total = 0;
    for (const p of this.allPositions()) {
      if (p.quantity === 0) continue;
      const mark = this.marks.get(p.symbol)?.price ?? p.avgPrice;
      total += p.quantity * (mark - p.avgPrice);
    }
    return total;
  }

  realizedInr(): number {
    let total = 0;
    for (const p of this.allPositions()) total += p.realizedPnl;
    return total;
  }

  /** Realized today plus unrealized now. */
  dailyPnlInr(): number {
    return this.realizedInr() + this.unrealizedInr();
  }

  /** The figures the service evaluates every 200 ms, from one look at the book. */
  figures(): { realizedInr: number; unrealizedInr: number; dailyInr: number; heatInr: number } {
    const realizedInr = this.realizedInr();
    const unrealizedInr = this.unrealizedInr();
    return {
      realizedInr,
      unrealizedInr,
      dailyInr: realizedInr + unrealizedInr,
      heatInr: this.heatInr(),
    };
  }
}
