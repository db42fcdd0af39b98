import type { Logger } from 'pino';
import type { RiskLimits } from '../../../contract/risk-limits';
import { istDate } from '../../common/time';
import type { Side, TradingState } from './domain';
import { roundToTick } from './domain';
import { BarAggregator, type Tick } from './market/bars';
import type { TradingSession } from './market/session';
import type { OrderManager } from './oms/order-manager';
import type { Portfolio } from './oms/portfolio';
import type { Signal, Strategy } from './strategies/strategy';
import type { Universe } from './universe';

export interface EngineDeps {
  readonly oms: OrderManager;
  readonly portfolio: Portfolio;
  readonly universe: Universe;
  readonly session: TradingSession;
  readonly limits: RiskLimits;
  readonly log: Logger;
  holds(strategyId: string): boolean;
  state(): TradingState;
  /** Called once per session at 15:25 IST. */
  squareOff(): Promise<void>;
  /** A new calendar trading day started: today's P&L restarts. */
  newTradingDay(date: string): void;
}

/**
 * Runs the strategies this task holds: ticks become one-minute bars, bars become signals, signals
 * become orders (entries sized to the per-trade risk budget). Also watches protective stops on
 * every tick and squares everything off at 15:25 IST.
 */
export class Engine {
  private strategies: readonly Strategy[] = [];
  private readonly bars = new BarAggregator();
  private lastSessionTime?: number;
  private tradingDay?: string;
  private squaredOffFor?: string;
  private sessionSerial = 0;

  constructor(private readonly deps: EngineDeps) {}

  setStrategies(strategies: readonly Strategy[]): void {
    this.strategies = strategies;
    const date = istDate(this.deps.session.now());
    for (const s of strategies) s.startSession(date);
  }

  strategyIds(): string[] {
    return this.strategies.map((s) => s.id);
  }

  onTick(tick: Tick): void {
    this.deps.portfolio.mark(tick.symbol, {
      price: tick.price,
      bid: tick.bid,
      ask: tick.ask,
      receivedAt: Date.now(),
    });
    this.watchStops(tick);
    const bar = this.bars.add(tick);
    if (!bar) return;
    for (const strategy of this.strategies) {
      if (!strategy.symbols.includes(bar.symbol) || !this.deps.holds(strategy.id)) continue;
      const position = this.deps.portfolio.position(strategy.id, bar.symbol)?.quantity ?? 0;
      const signal = strategy.onBar(bar, position);
      if (signal) {
        this.act(strategy, signal, bar.start).catch((err: unknown) =>
          this.deps.log.error(
            { err, strategyId: strategy.id, signal },
            'acting on a signal failed',
          ),
        );
      }
    }
  }

  /** Session bookkeeping: new day, the simulated session starting over, the square-off. */
  async onClock(): Promise<void> {
    const now = this.deps.session.now();
    const status = this.deps.session.status();
    if (this.tradingDay !== status.date) {
      if (this.tradingDay !== undefined) this.deps.newTradingDay(status.date);
      this.tradingDay = status.date;
      this.startSession(status.date);
    } else if (this.lastSessionTime !== undefined && now < this.lastSessionTime) {
      this.startSession(status.date);
    }
    this.lastSessionTime = now;
    const sessionKey = `${status.date}#${this.sessionSerial}`;
    if (status.squareOffDue && this.squaredOffFor !== sessionKey) {
      this.squaredOffFor = sessionKey;
      await this.deps.squareOff();
    }
  }

  private startSession(date: string): void {
    this.sessionSerial += 1;
    for (const s of this.strategies) s.startSession(date);
  }

  private watchStops(tick: Tick): void {
    for (const p of this.deps.portfolio.openPositions()) {
      if (p.symbol !== tick.symbol || p.stopPrice === undefined || !this.deps.holds(p.strategyId))
        continue;
      const hit = p.quantity > 0 ? tick.price <= p.stopPrice : tick.price >= p.stopPrice;
      if (!hit) continue;
      const quantity =
        Math.abs(p.quantity) - this.deps.oms.workingReduceQuantity(p.strategyId, p.symbol);
      if (quantity <= 0) continue;
      void this.send({
        clientOrderId: `${p.strategyId}-${p.symbol}-stop-${Math.floor(tick.time / 1000)}`,
        strategyId: p.strategyId,
        symbol: p.symbol,
        side: p.quantity > 0 ? 'SELL' : 'BUY',
        quantity,
        reduceOnly: true,
        reason: `stop ${p.stopPrice} hit at ${tick.price}`,
      });
    }
  }

  private async act(strategy: Strategy, signal: Signal, barStart: number): Promise<void> {
    const clientOrderId = `${strategy.id}-${signal.symbol}-${barStart}-${signal.kind === 'ENTRY' ? 'E' : 'X'}`;
    if (signal.kind === 'EXIT') {
      const held = this.deps.portfolio.position(strategy.id, signal.symbol)?.quantity ?? 0;
      const quantity =
        Math.abs(held) - this.deps.oms.workingReduceQuantity(strategy.id, signal.symbol);
      if (quantity <= 0) return;
      await this.send({
        clientOrderId,
        strategyId: strategy.id,
        symbol: signal.symbol,
        side: signal.side,
        quantity,
        reduceOnly: true,
        reason: signal.reason,
      });
      return;
    }
    // Entries only in ACTIVE and before the square-off; the risk check would refuse them anyway,
    // this keeps a halted service from filling the reject counters every minute.
    if (this.deps.state() !== 'ACTIVE' || this.deps.session.status().squareOffDue) return;
    const instrument = this.deps.universe.get(signal.symbol);
    const price = this.deps.portfolio.quote(signal.symbol)?.price;
    if (!instrument || price === undefined || signal.stopPrice === undefined) return;
    const stop = roundToTick(signal.stopPrice, instrument.tickSize);
    const perUnitRisk = Math.abs(price - stop);
    if (perUnitRisk <= 0) return;
    const { limits } = this.deps;
    const budget = (limits.perTradeRiskPct / 100) * limits.capitalInr * strategy.riskFraction;
    const byRisk = Math.floor(budget / perUnitRisk);
    const byNotional = Math.floor(limits.maxOrderNotionalInr / price);
    const quantity =
      Math.floor(Math.min(byRisk, byNotional) / instrument.lotSize) * instrument.lotSize;
    if (quantity <= 0) return;
    await this.send({
      clientOrderId,
      strategyId: strategy.id,
      symbol: signal.symbol,
      side: signal.side,
      quantity,
      stopPrice: stop,
      reduceOnly: false,
      reason: signal.reason,
    });
  }

  private async send(o: {
    clientOrderId: string;
    strategyId: string;
    symbol: string;
    side: Side;
    quantity: number;
    stopPrice?: number;
    reduceOnly: boolean;
    reason: string;
  }): Promise<void> {
    try {
      const result = await this.deps.oms.submit({
        clientOrderId: o.clientOrderId,
        strategyId: o.strategyId,
        symbol: o.symbol,
        side: o.side,
        type: 'MARKET',
        quantity: o.quantity,
        stopPrice: o.stopPrice,
        reduceOnly: o.reduceOnly,
      });
      this.deps.log.info(
        {
          strategyId: o.strategyId,
          symbol: o.symbol,
          side: o.side,
          quantity: o.quantity,
          outcome: result.outcome,
          why: o.reason,
          ...('reason' in result ? { rejected: result.reason } : {}),
        },
        'strategy order',
      );
    } catch (error) {
      this.deps.log.error({ err: error, clientOrderId: o.clientOrderId }, 'strategy order failed');
    }
  }
}
