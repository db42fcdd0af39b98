import { RiskLimitsSchema } from '../contract/risk-limits';
import type { OrderRequest } from '../services/trading/src/domain';
import { Portfolio } from '../services/trading/src/oms/portfolio';
import { DuplicateDetector } from '../services/trading/src/risk/duplicate-detector';
import { PreTradeRisk } from '../services/trading/src/risk/pre-trade-risk';
import { DEFAULT_UNIVERSE } from '../services/trading/src/universe';
import { report, summarize } from './support';

// The pre-trade check as the service runs it: a portfolio of 20 positions over 10 symbols, live
// marks, the duplicate window, and an order-rate gate with a free slot (the slot itself is taken at
// the broker's door, after the check), so that the accept path is what is timed.
const limits = RiskLimitsSchema.parse({
  capitalInr: 50_000_000,
  maxOrderNotionalInr: 5_000_000,
  maxPositionNotionalInr: 50_000_000,
});
const portfolio = new Portfolio();
for (const [i, inst] of DEFAULT_UNIVERSE.entries()) {
  portfolio.mark(inst.symbol, {
    price: inst.referencePrice,
    bid: inst.referencePrice,
    ask: inst.referencePrice,
    receivedAt: Date.now(),
  });
  for (const strategy of ['orb-15', 'ma-cross']) {
    portfolio.applyFill(
      strategy,
      inst.symbol,
      i % 2 ? 'BUY' : 'SELL',
      10,
      inst.referencePrice,
      inst.referencePrice * (i % 2 ? 0.99 : 1.01),
    );
  }
}
const view = {
  state: () => 'ACTIVE' as const,
  marketOpen: () => true,
  instrument: (s: string) => DEFAULT_UNIVERSE.find((i) => i.symbol === s),
  quote: (s: string) => {
    const q = portfolio.quote(s);
    return q ? { ...q, receivedAt: Date.now() } : undefined;
  },
  position: (strategy: string, symbol: string) => portfolio.position(strategy, symbol),
  workingReduceQuantity: () => 0,
  netQuantity: (symbol: string) => portfolio.netQuantity(symbol),
  heatInr: () => portfolio.heatInr(),
  dailyPnlInr: () => portfolio.dailyPnlInr(),
};
const risk = new PreTradeRisk(
  limits,
  view,
  { refusalWaitMs: () => 0 },
  new DuplicateDetector(limits.duplicateWindowMs),
);

function time(orders: OrderRequest[]): number[] {
  const samples: number[] = [];
  for (const order of orders) {
    const t0 = process.hrtime.bigint();
    risk.check(order);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return samples;
}

const N = 200_000;
const accepted = Array.from({ length: N }, (_, i): OrderRequest => {
  const inst = DEFAULT_UNIVERSE[i % DEFAULT_UNIVERSE.length] ?? DEFAULT_UNIVERSE[0];
  const price = inst?.referencePrice ?? 1000;
  // Distinct quantities keep the duplicate window from refusing them.
  return {
    clientOrderId: `b-${i}`,
    strategyId: 'manual',
    symbol: inst?.symbol ?? 'INFY',
    side: 'BUY',
    type: 'MARKET',
    quantity: 1 + (i % 997),
    stopPrice: price * 0.999,
    reduceOnly: false,
  };
});
const refused = accepted.map((o) => ({ ...o, stopPrice: undefined }));

time(accepted.slice(0, 20_000)); // warm-up: JIT
const acceptedSamples = time(accepted);
const refusedSamples = time(refused);
const acceptedSummary = summarize(acceptedSamples);
report('pre-trade check, accepted (20 positions)', acceptedSummary, 'us', { p99Max: 50 });
report('pre-trade check, refused (MISSING_STOP)', summarize(refusedSamples), 'us', { p99Max: 50 });
process.exit(acceptedSummary.p99 <= 50 ? 0 : 1);
