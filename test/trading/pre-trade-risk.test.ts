import type { Quote } from '../../services/trading/src/broker/broker';
import type { Position, TradingState } from '../../services/trading/src/domain';
import { DuplicateDetector } from '../../services/trading/src/risk/duplicate-detector';
import { PreTradeRisk, type RiskView } from '../../services/trading/src/risk/pre-trade-risk';
import { DEFAULT_UNIVERSE } from '../../services/trading/src/universe';
import { TEST_LIMITS } from './harness';
import { infyEntry as entry } from './order-requests';

const NOW = 1_800_000_000_000;

class FakeView implements RiskView {
  currentState: TradingState = 'ACTIVE';
  open = true;
  quotes = new Map<string, Quote>([
    ['INFY', { price: 1500, bid: 1500, ask: 1500, receivedAt: NOW }],
  ]);
  positions = new Map<string, Position>();
  exiting = 0;
  heat = 0;
  pnl = 0;
  net = 0;
  state = () => this.currentState;
  marketOpen = () => this.open;
  instrument = (s: string) => DEFAULT_UNIVERSE.find((i) => i.symbol === s);
  quote = (s: string) => this.quotes.get(s);
  position = (strategy: string, symbol: string) => this.positions.get(`${strategy}|${symbol}`);
  workingReduceQuantity = () => this.exiting;
  netQuantity = () => this.net;
  heatInr = () => this.heat;
  dailyPnlInr = () => this.pnl;
}

describe('PreTradeRisk', () => {
  let view: FakeView;
  let now: number;
  let risk: PreTradeRisk;
  let rateWaitMs: number;

  beforeEach(() => {
    view = new FakeView();
    now = NOW;
    rateWaitMs = 0;
    risk = new PreTradeRisk(
      TEST_LIMITS,
      view,
      { refusalWaitMs: () => rateWaitMs },
      new DuplicateDetector(TEST_LIMITS.duplicateWindowMs),
      () => now,
    );
  });

  it('accepts an entry inside every limit and reports its risk', () => {
    expect(risk.check(entry())).toEqual({ ok: true, referencePrice: 1500, riskInr: 1500 });
  });

  it.each([
    ['HARD_HALT', 'HARD_HALT'],
    ['HALTED', 'TRADING_HALTED'],
    ['PAUSED', 'TRADING_PAUSED'],
  ] as const)('refuses entries in %s with %s', (state, reason) => {
    view.currentState = state;

    expect(risk.check(entry())).toMatchObject({ ok: false, reason });
  });

  it.each(['HARD_HALT', 'HALTED', 'PAUSED'] as const)('lets an exit through in %s', (state) => {
    view.currentState = state;
    view.positions.set('manual|INFY', {
      strategyId: 'manual',
      symbol: 'INFY',
      quantity: 100,
      avgPrice: 1490,
      realizedPnl: 0,
    });

    expect(
      risk.check(entry({ side: 'SELL', reduceOnly: true, stopPrice: undefined })),
    ).toMatchObject({ ok: true });
  });

  it('refuses a reduce-only order that would flip the position', () => {
    view.positions.set('manual|INFY', {
      strategyId: 'manual',
      symbol: 'INFY',
      quantity: 50,
      avgPrice: 1490,
      realizedPnl: 0,
    });

    expect(risk.check(entry({ side: 'SELL', reduceOnly: true, quantity: 60 }))).toMatchObject({
      ok: false,
      reason: 'NOT_REDUCING',
    });
  });

  it('counts exits already working against a reduce-only order', () => {
    view.positions.set('manual|INFY', {
      strategyId: 'manual',
      symbol: 'INFY',
      quantity: 100,
      avgPrice: 1490,
      realizedPnl: 0,
    });
    view.exiting = 100;

    expect(risk.check(entry({ side: 'SELL', reduceOnly: true, quantity: 100 }))).toMatchObject({
      ok: false,
      reason: 'NOT_REDUCING',
      message: expect.stringContaining('100 already exiting'),
    });
  });

  it('refuses everything when the market is closed', () => {
    view.open = false;

    expect(risk.check(entry())).toMatchObject({ ok: false, reason: 'MARKET_CLOSED' });
  });

  it('refuses a symbol outside the universe', () => {
    expect(risk.check(entry({ symbol: 'ZOMATO' }))).toMatchObject({
      ok: false,
      reason: 'UNKNOWN_SYMBOL',
      message: 'ZOMATO is not in the universe',
    });
  });

  it('refuses an entry without a price, or on a stale one', () => {
    view.quotes.clear();
    expect(risk.check(entry())).toMatchObject({ ok: false, reason: 'NO_MARKET_PRICE' });

    view.quotes.set('INFY', { price: 1500, bid: 1500, ask: 1500, receivedAt: NOW - 6000 });
    expect(risk.check(entry())).toMatchObject({ ok: false, reason: 'STALE_PRICE' });
  });

  it('refuses a limit price outside the collar', () => {
    const result = risk.check(entry({ type: 'LIMIT', limitPrice: 1540 }));

    expect(result).toMatchObject({
      ok: false,
      reason: 'PRICE_COLLAR',
      message: expect.stringContaining('2.67% from the last price 1500'),
    });
  });

  it('refuses a stop whose prices do not fit its type, naming the field', () => {
    expect(risk.check(entry({ type: 'SL-M' }))).toMatchObject({
      ok: false,
      reason: 'INVALID_PRICES',
      message: 'triggerPrice: required for an SL-M order',
    });
    expect(
      risk.check(entry({ type: 'SL', side: 'SELL', limitPrice: 1495, triggerPrice: 1490 })),
    ).toMatchObject({ ok: false, reason: 'INVALID_PRICES', message: /below the limit 1495/ });
  });

  it('refuses a stop the last price has already reached (Kite would release it at once)', () => {
    const buyStop = entry({ type: 'SL-M', triggerPrice: 1500, stopPrice: 1480 });
    const sellStop = entry({ type: 'SL-M', side: 'SELL', triggerPrice: 1501, stopPrice: 1520 });

    expect(risk.check(buyStop)).toMatchObject({
      ok: false,
      reason: 'INVALID_TRIGGER',
      message: 'trigger 1500 of a BUY stop must be above the last price 1500',
    });
    expect(risk.check(sellStop)).toMatchObject({ ok: false, reason: 'INVALID_TRIGGER' });
  });

  it('holds a trigger to the collar and prices an SL-M entry at its trigger', () => {
    const far = risk.check(entry({ type: 'SL-M', triggerPrice: 1540, stopPrice: 1530 }));
    const breakout = risk.check(entry({ type: 'SL-M', triggerPrice: 1510, stopPrice: 1500 }));
    const stopLimit = risk.check(
      entry({ type: 'SL', limitPrice: 1512, triggerPrice: 1510, stopPrice: 1500 }),
    );

    expect(far).toMatchObject({ ok: false, reason: 'PRICE_COLLAR', message: /^trigger 1540/ });
    // 100 x (1510 - 1500) and 100 x (1512 - 1500): the risk from where each would fill.
    expect(breakout).toMatchObject({ ok: true, referencePrice: 1510, riskInr: 1000 });
    expect(stopLimit).toMatchObject({ ok: true, referencePrice: 1512, riskInr: 1200 });
  });

  it('refuses an order over the maximum notional', () => {
    expect(risk.check(entry({ quantity: 140, stopPrice: 1496 }))).toMatchObject({
      ok: false,
      reason: 'MAX_ORDER_NOTIONAL',
    });
  });

  it('refuses an order that takes the position over its maximum', () => {
    view.net = 120;

    expect(risk.check(entry({ quantity: 90, stopPrice: 1495 }))).toMatchObject({
      ok: false,
      reason: 'MAX_POSITION',
    });
  });

  it('refuses an entry without a stop, or with the stop on the wrong side', () => {
    expect(risk.check(entry({ stopPrice: undefined }))).toMatchObject({
      ok: false,
      reason: 'MISSING_STOP',
    });
    expect(risk.check(entry({ stopPrice: 1510 }))).toMatchObject({
      ok: false,
      reason: 'INVALID_STOP',
    });
  });

  it('refuses a trade risking more than 0.5% of capital', () => {
    // 100 x (1500 - 1440) = 6,000 > 5,000
    expect(risk.check(entry({ stopPrice: 1440 }))).toMatchObject({
      ok: false,
      reason: 'PER_TRADE_RISK',
    });
  });

  it('refuses an entry that takes portfolio heat over 2%', () => {
    view.heat = 19_000;

    expect(risk.check(entry())).toMatchObject({
      ok: false,
      reason: 'PORTFOLIO_HEAT',
      message: expect.stringContaining('2.05%'),
    });
  });

  it('refuses entries once the daily loss reaches 2.5%', () => {
    view.pnl = -25_000;

    expect(risk.check(entry())).toMatchObject({ ok: false, reason: 'DAILY_LOSS_STOP' });
  });

  it('refuses the same order again within the duplicate window', () => {
    const first = entry({ clientOrderId: 'a' });
    expect(risk.check(first)).toMatchObject({ ok: true });

    expect(risk.check({ ...first, clientOrderId: 'b' })).toMatchObject({
      ok: false,
      reason: 'DUPLICATE_ORDER',
    });
    now += TEST_LIMITS.duplicateWindowMs;
    expect(risk.check({ ...first, clientOrderId: 'c' })).toMatchObject({ ok: true });
  });

  it('refuses an entry while the shared order-rate limiter knows no slot is free', () => {
    rateWaitMs = 120;

    expect(risk.check(entry())).toMatchObject({
      ok: false,
      reason: 'ORDER_RATE',
      message: expect.stringContaining('next slot in about 120 ms'),
    });
    rateWaitMs = 0;
    expect(risk.check(entry({ quantity: 50 }))).toMatchObject({ ok: true });
  });

  it('lets an exit through while the order rate is full (it waits for its slot at the broker)', () => {
    view.positions.set('manual|INFY', {
      strategyId: 'manual',
      symbol: 'INFY',
      quantity: 100,
      avgPrice: 1490,
      realizedPnl: 0,
    });
    rateWaitMs = 500;

    expect(
      risk.check(entry({ side: 'SELL', reduceOnly: true, stopPrice: undefined })),
    ).toMatchObject({ ok: true });
  });

  it('names the first failing rule in product order (state before limits)', () => {
    view.currentState = 'HALTED';

    expect(risk.check(entry({ quantity: 10_000, stopPrice: undefined }))).toMatchObject({
      reason: 'TRADING_HALTED',
    });
  });
});
