import pino from 'pino';
import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import { KiteBroker } from '../../services/trading/src/broker/kite/kite-broker';
import { KiteTickerConnection } from '../../services/trading/src/broker/kite/kite-ticker-connection';
import { digestOfTag, orderDigest } from '../../services/trading/src/broker/order-tag';
import { loggedInClient, SIM_CREDENTIALS, startTestSimulator } from '../sim/kite-sim-support';
import { eventually } from '../trading/harness';
import { type BrokerVenue, contractAlgoStrategies } from './broker-contract';

/** Log lines the adapter wrote, for tests that assert what the operator sees. */
export interface CapturedLog {
  readonly lines: Array<Record<string, unknown>>;
}

/** The Kite adapter on the official SDK, logged in to a fresh simulator on a free port. */
export async function startKiteVenue(
  options: { pollMs?: number; readBackoffMs?: number } = {},
): Promise<
  BrokerVenue & {
    simulator: KiteSimulator;
    kite: KiteBroker;
    log: CapturedLog;
    /** Logs in again (a new access token), as `tradeops token login` does. */
    relogin(): Promise<void>;
  }
> {
  const simulator = await startTestSimulator();
  let session = (await loggedInClient(simulator)).session;
  const captured: CapturedLog = { lines: [] };
  const log = pino(
    { level: 'info' },
    { write: (line: string) => captured.lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const ticker = new KiteTickerConnection({
    apiKey: SIM_CREDENTIALS.apiKey,
    accessToken: () => session.access_token,
    root: simulator.tickerRoot,
    reconnectBaseMs: 50,
    reconnectMaxMs: 500,
  });
  const kite = new KiteBroker({
    apiKey: SIM_CREDENTIALS.apiKey,
    apiSecret: SIM_CREDENTIALS.apiSecret,
    accessToken: () => session.access_token,
    token: { name: 'PRIMARY', expiresAt: () => Date.now() + 3_600_000 },
    root: simulator.apiRoot,
    timeoutMs: 1000,
    strategies: { 'orb-15': { product: 'INTRADAY' }, 'ma-cross': { product: 'INTRADAY' } },
    algoStrategies: contractAlgoStrategies(),
    ticker,
    pollMs: options.pollMs ?? 300,
    readBackoffMs: options.readBackoffMs ?? 20,
    log,
  });
  await kite.start();
  ticker.start();
  await eventually(() => ticker.connected(), 5000, 'the ticker connection');
  return {
    simulator,
    kite,
    log: captured,
    broker: kite,
    symbol: 'INFY',
    unknownSymbol: 'NOSUCHSYMBOL',
    restingBuyLimit: async () => 1250,
    setPrice: async (price) => {
      simulator.control.setPrice('INFY', price);
    },
    ordersAtVenue: async (clientOrderId) => {
      const digest = orderDigest(clientOrderId);
      return simulator.control
        .book()
        .orders.filter((o: { tag?: string | null }) => digestOfTag(o.tag) === digest).length;
    },
    dropConnection: async () => {
      const connects = ticker.connects;
      simulator.control.dropTickers();
      await eventually(() => ticker.connects > connects, 5000, 'the ticker reconnect');
    },
    expireToken: async () => {
      simulator.control.expireTokens();
    },
    relogin: async () => {
      session = (await loggedInClient(simulator)).session;
    },
    close: async () => {
      await kite.close();
      ticker.close();
      await simulator.stop();
    },
  };
}
