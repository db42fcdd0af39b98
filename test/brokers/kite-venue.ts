import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import { KiteBroker } from '../../services/trading/src/broker/kite/kite-broker';
import { KiteTickerConnection } from '../../services/trading/src/broker/kite/kite-ticker-connection';
import { loggedInClient, SIM_CREDENTIALS, startTestSimulator } from '../sim/kite-sim-support';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, type Harness, startHarness } from '../trading/harness';
import type { BrokerVenue } from './broker-contract';
import {
  type CapturedLog,
  capturingLogger,
  simulatorLevers,
  testAdapterOptions,
} from './sim-venue';

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
  const { captured, log } = capturingLogger();
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
    root: simulator.apiRoot,
    timeoutMs: 1000,
    ...testAdapterOptions(options),
    ticker,
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
    ...simulatorLevers(simulator.control, (o) => o.tag),
    dropConnection: async () => {
      const connects = ticker.connects;
      simulator.control.dropTickers();
      await eventually(() => ticker.connects > connects, 5000, 'the ticker reconnect');
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

/** The trading service on the Kite adapter, on a fresh database and simulator for each test. */
export interface KiteServiceFixture {
  readonly venue: Awaited<ReturnType<typeof startKiteVenue>>;
  /** Starts the service (flag "true") on the test's venue; stopped after the test. */
  start(): Promise<Harness>;
}

/** A `KiteServiceFixture` for each test of the enclosing `describe` (the order poll out of the way). */
export function kiteServiceEach(): KiteServiceFixture {
  let db: TestDatabase;
  let venue: Awaited<ReturnType<typeof startKiteVenue>>;
  let h: Harness | undefined;

  beforeEach(async () => {
    db = await createTestDatabase();
    venue = await startKiteVenue({ pollMs: 60_000 });
    h = undefined;
  });
  afterEach(async () => {
    await h?.stop().catch(() => undefined);
    await venue.close();
    await db.close();
  });

  return {
    get venue() {
      return venue;
    },
    async start() {
      h = await startHarness({ url: db.url, flag: 'true', wrapBroker: () => venue.kite });
      return h;
    },
  };
}
