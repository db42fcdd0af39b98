import pino from 'pino';
import { digestOfTag, orderDigest } from '../../services/trading/src/broker/order-tag';
import { type BrokerVenue, contractAlgoStrategies } from './broker-contract';

/** Log lines the adapter wrote, for tests that assert what the operator sees. */
export interface CapturedLog {
  readonly lines: Array<Record<string, unknown>>;
}

/** A pino logger that keeps every line it writes in `captured`. */
export function capturingLogger(): { captured: CapturedLog; log: pino.Logger } {
  const captured: CapturedLog = { lines: [] };
  const log = pino(
    { level: 'info' },
    { write: (line: string) => captured.lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { captured, log };
}

/** What every test venue's adapter shares: an hour-long token, the contract strategies, fast polls. */
export function testAdapterOptions(options: { pollMs?: number; readBackoffMs?: number }) {
  return {
    token: { name: 'PRIMARY', expiresAt: () => Date.now() + 3_600_000 },
    strategies: {
      'orb-15': { product: 'INTRADAY' as const },
      'ma-cross': { product: 'INTRADAY' as const },
    },
    algoStrategies: contractAlgoStrategies(),
    pollMs: options.pollMs ?? 300,
    readBackoffMs: options.readBackoffMs ?? 20,
  };
}

/** The levers of a simulator's control the contract moves. */
interface SimulatorControl<O> {
  setPrice(tradingsymbol: string, priceRupees: number): unknown;
  book(): { orders: ReadonlyArray<O> };
  expireTokens(): unknown;
}

/**
 * The contract's levers on a simulator trading INFY (a BUY at 1250 rests), counting a client
 * order's orders by the digest in the tag `tagOf` reads from the book.
 */
export function simulatorLevers<O>(
  control: SimulatorControl<O>,
  tagOf: (order: O) => string | null | undefined,
): Pick<
  BrokerVenue,
  'symbol' | 'unknownSymbol' | 'restingBuyLimit' | 'setPrice' | 'ordersAtVenue' | 'expireToken'
> {
  return {
    symbol: 'INFY',
    unknownSymbol: 'NOSUCHSYMBOL',
    restingBuyLimit: async () => 1250,
    setPrice: async (price) => {
      control.setPrice('INFY', price);
    },
    ordersAtVenue: async (clientOrderId) => {
      const digest = orderDigest(clientOrderId);
      return control.book().orders.filter((o) => digestOfTag(tagOf(o)) === digest).length;
    },
    expireToken: async () => {
      control.expireTokens();
    },
  };
}
