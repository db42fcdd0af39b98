import { istTimeOn } from '../../services/common/time';
import {
  CircuitBreaker,
  CircuitOpenError,
} from '../../services/trading/src/health/circuit-breaker';
import { feedHealth } from '../../services/trading/src/health/feed-health';
import { BarAggregator } from '../../services/trading/src/market/bars';
import { parseBarsCsv, SimulatedFeed } from '../../services/trading/src/market/feed';
import { SimulatedSession } from '../../services/trading/src/market/session';
import { Metrics } from '../../services/trading/src/metrics/metrics';
import { MovingAverageCrossover } from '../../services/trading/src/strategies/moving-average-crossover';
import { OpeningRangeBreakout } from '../../services/trading/src/strategies/opening-range-breakout';
import { DEFAULT_UNIVERSE } from '../../services/trading/src/universe';

const minute = (hhmm: string) => istTimeOn('2026-11-23', hhmm);
const bar = (hhmm: string, high: number, low: number, close: number, symbol = 'INFY') => ({
  symbol,
  start: minute(hhmm),
  open: close,
  high,
  low,
  close,
  ticks: 4,
});

describe('OpeningRangeBreakout', () => {
  const orb = () =>
    new OpeningRangeBreakout({
      id: 'orb-15',
      symbols: ['INFY'],
      rangeMinutes: 15,
      riskFraction: 0.5,
    });

  it('buys a close above the 15-minute range with the stop at the range low', () => {
    const s = orb();
    s.startSession();
    s.onBar(bar('09:15', 1510, 1495, 1500), 0);
    s.onBar(bar('09:29', 1512, 1498, 1505), 0);

    expect(s.onBar(bar('09:30', 1514, 1505, 1513), 0)).toMatchObject({
      kind: 'ENTRY',
      side: 'BUY',
      stopPrice: 1495,
    });
  });

  it('sells a close below the range with the stop at the range high', () => {
    const s = orb();
    s.startSession();
    s.onBar(bar('09:15', 1510, 1495, 1500), 0);

    expect(s.onBar(bar('09:31', 1496, 1490, 1491), 0)).toMatchObject({
      kind: 'ENTRY',
      side: 'SELL',
      stopPrice: 1510,
    });
  });

  it('enters once per symbol per session, never inside the range window', () => {
    const s = orb();
    s.startSession();
    s.onBar(bar('09:15', 1510, 1495, 1500), 0);
    // Inside the window a bar only shapes the range, whatever its close.
    expect(s.onBar(bar('09:20', 1508, 1500, 1507), 0)).toBeUndefined();

    const first = s.onBar(bar('09:31', 1520, 1511, 1519), 0);
    const second = s.onBar(bar('09:32', 1530, 1520, 1529), 0);

    expect(first).toBeDefined();
    expect(second).toBeUndefined();
  });
});

describe('MovingAverageCrossover', () => {
  it('buys when the fast average crosses above the slow, and exits a long on the way down', () => {
    const s = new MovingAverageCrossover({
      id: 'ma',
      symbols: ['SBIN'],
      fast: 2,
      slow: 4,
      stopPct: 1,
      riskFraction: 0.5,
    });
    s.startSession();
    const closes = [100, 99, 98, 97, 96, 100, 104];
    const signals = closes.map((c, i) => s.onBar(bar(`10:0${i}`, c, c, c, 'SBIN'), 0));

    expect(signals.filter(Boolean)).toEqual([
      {
        symbol: 'SBIN',
        kind: 'ENTRY',
        side: 'BUY',
        stopPrice: 99,
        reason: 'fast average crossed above slow',
      },
    ]);
    expect(s.onBar(bar('10:07', 90, 90, 90, 'SBIN'), 50)).toMatchObject({
      kind: 'EXIT',
      side: 'SELL',
    });
  });
});

describe('BarAggregator', () => {
  it('completes a one-minute bar when the next minute starts', () => {
    const agg = new BarAggregator();
    const t = minute('10:00');

    agg.add({ symbol: 'X', price: 10, bid: 10, ask: 10, time: t });
    agg.add({ symbol: 'X', price: 12, bid: 12, ask: 12, time: t + 20_000 });
    agg.add({ symbol: 'X', price: 9, bid: 9, ask: 9, time: t + 40_000 });
    const done = agg.add({ symbol: 'X', price: 11, bid: 11, ask: 11, time: t + 60_000 });

    expect(done).toEqual({ symbol: 'X', start: t, open: 10, high: 12, low: 9, close: 9, ticks: 3 });
  });
});

describe('feeds', () => {
  it('replays the same prices for the same seed', () => {
    const session = new SimulatedSession(60, { now: () => 1_800_000_000_000 });
    const a = new SimulatedFeed(() => DEFAULT_UNIVERSE, session, { seed: 7, tickMs: 250 });
    const b = new SimulatedFeed(() => DEFAULT_UNIVERSE, session, { seed: 7, tickMs: 250 });

    expect(a.step().map((t) => t.price)).toEqual(b.step().map((t) => t.price));
  });

  it('names the line of a bad CSV row', () => {
    expect(() =>
      parseBarsCsv(
        'timestamp,symbol,open,high,low,close\n2026-11-23T09:15,INFY,1500,1510,1495,1505\n2026-11-23T09:16,INFY,abc,1,1,1',
        'bars.csv',
      ),
    ).toThrow(/^bars\.csv:3: expected timestamp,symbol,open,high,low,close/);
    expect(() => parseBarsCsv('t,INFY,1500,1490,1495,1505', 'bars.csv')).toThrow(
      'bars.csv:1: high/low do not contain open/close',
    );
  });

  it('grades lag as FRESH, STALE and OUTDATED', () => {
    const now = 1_800_000_000_000;
    const feedAt = (age: number) => ({
      name: 'f',
      start: () => undefined,
      stop: () => undefined,
      lastUpdates: () => ({ ticks: now - age, depth: now - 1000 }),
    });
    const t = { freshSeconds: 5, staleSeconds: 30 };

    expect(feedHealth(feedAt(2000), t, now)).toMatchObject({
      tick_lag_sec: 2,
      depth_lag_sec: 1,
      status: 'FRESH',
    });
    expect(feedHealth(feedAt(10_000), t, now)).toMatchObject({
      status: 'STALE',
      ticks: 'STALE',
      depth: 'FRESH',
    });
    expect(feedHealth(feedAt(31_000), t, now)).toMatchObject({ status: 'OUTDATED' });
  });
});

describe('CircuitBreaker', () => {
  it('opens after the threshold, refuses at once, half-opens after the timeout, closes on success', async () => {
    let now = 0;
    const breaker = new CircuitBreaker('broker', {
      failureThreshold: 2,
      resetTimeoutMs: 1000,
      now: () => now,
    });
    const fail = () => breaker.run(() => Promise.reject(new Error('down')));

    await expect(fail()).rejects.toThrow('down');
    await expect(fail()).rejects.toThrow('down');
    expect(breaker.state()).toBe('OPEN');
    await expect(breaker.run(async () => 'x')).rejects.toBeInstanceOf(CircuitOpenError);
    now = 1000;
    expect(breaker.state()).toBe('HALF_OPEN');
    await expect(breaker.run(async () => 'ok')).resolves.toBe('ok');
    expect(breaker.state()).toBe('CLOSED');
  });

  it('does not count answers that are not outages', async () => {
    const breaker = new CircuitBreaker('broker', { failureThreshold: 1 });

    await expect(
      breaker.run(
        () => Promise.reject(new Error('rejected by RMS')),
        () => false,
      ),
    ).rejects.toThrow();

    expect(breaker.state()).toBe('CLOSED');
  });

  it('records who reset it by hand', async () => {
    const breaker = new CircuitBreaker('broker', { failureThreshold: 1 });
    await expect(breaker.run(() => Promise.reject(new Error('down')))).rejects.toThrow();

    breaker.reset('oncall');

    expect(breaker.snapshot()).toMatchObject({ state: 'CLOSED', lastResetBy: 'oncall' });
  });
});

describe('Metrics', () => {
  it('writes EMF with counters as deltas and a Reason dimension for rejects', () => {
    const m = new Metrics();
    m.inc('algo_orders_submitted_total', undefined, 3);
    m.inc('algo_orders_rejected_total', { reason: 'ORDER_RATE' }, 2);
    m.set('algo_portfolio_heat_pct', 1.25);

    const first = m.emf('AlgoTrading', 'prod', 1000).map((l) => JSON.parse(l));
    m.inc('algo_orders_submitted_total');
    const second = m.emf('AlgoTrading', 'prod', 2000).map((l) => JSON.parse(l));

    const base = first.find((l) => !l.Reason);
    expect(base._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'AlgoTrading',
      Dimensions: [['Stage']],
    });
    expect(base).toMatchObject({ Stage: 'prod', OrdersSubmitted: 3, PortfolioHeatPct: 1.25 });
    const rejects = first.find((l) => l.Reason);
    expect(rejects).toMatchObject({ Stage: 'prod', Reason: 'ORDER_RATE', OrdersRejected: 2 });
    // Also under Stage alone, where the alarm sums rejects of every reason.
    expect(rejects._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Stage', 'Reason'], ['Stage']]);
    expect(second.find((l) => !l.Reason).OrdersSubmitted).toBe(1);
  });

  it('writes Prometheus text with labels', () => {
    const m = new Metrics();
    m.inc('algo_orders_rejected_total', { reason: 'PRICE_COLLAR' });

    expect(m.prometheus()).toContain('algo_orders_rejected_total{reason="PRICE_COLLAR"} 1\n');
  });
});
