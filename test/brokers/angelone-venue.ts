import {
  type AngelSimulator,
  type AngelSimulatorOptions,
  startAngelSimulator,
} from '../../scripts/sim/angelone/simulator';
import { createSmartApi, type DeskNetwork } from '../../services/common/angelone/smartapi';
import { base32Bytes, totp } from '../../services/common/angelone/totp';
import {
  type AngelOneBroker,
  createAngelOneBroker,
} from '../../services/trading/src/broker/angelone/angelone-broker';
import { eventually } from '../trading/harness';
import type { BrokerVenue } from './broker-contract';
import {
  type CapturedLog,
  capturingLogger,
  simulatorLevers,
  testAdapterOptions,
} from './sim-venue';

/** The simulator's account in tests: made up, never a real account's. */
export const ANGEL_SIM_ACCOUNT = {
  apiKey: 'test-api-key',
  clientCode: 'A1234567',
  pin: '4321',
  totpSecret: 'JBSWY3DPEHPK3PXP',
  name: 'Sim Trader',
} as const;

/** The desk's static IP in tests (TEST-NET-3). */
export const TEST_NETWORK: DeskNetwork = { publicIp: '203.0.113.10' };

/** A simulator on a free loopback port that steps its prices only when a test says so. */
export function startTestAngelSimulator(
  overrides: Partial<AngelSimulatorOptions> = {},
): Promise<AngelSimulator> {
  return startAngelSimulator({ ...ANGEL_SIM_ACCOUNT, port: 0, tickIntervalMs: 0, ...overrides });
}

/** A session at the simulator through the SDK's `generateSession` with the TOTP of now. */
export async function angelSession(
  simulator: AngelSimulator,
  now = Date.now(),
): Promise<{ jwt: string; feedToken: string }> {
  const smart = createSmartApi({
    apiKey: ANGEL_SIM_ACCOUNT.apiKey,
    root: simulator.apiRoot,
    network: TEST_NETWORK,
  });
  const code = totp(base32Bytes(ANGEL_SIM_ACCOUNT.totpSecret), now);
  const answer = (await smart.generateSession(
    ANGEL_SIM_ACCOUNT.clientCode,
    ANGEL_SIM_ACCOUNT.pin,
    code,
  )) as {
    data: { jwtToken: string; feedToken: string };
  };
  return { jwt: answer.data.jwtToken, feedToken: answer.data.feedToken };
}

/** The Angel One adapter on the official SDK, logged in to a fresh simulator on a free port. */
export async function startAngelOneVenue(
  options: { pollMs?: number; readBackoffMs?: number; timeoutMs?: number } = {},
): Promise<BrokerVenue & { simulator: AngelSimulator; angel: AngelOneBroker; log: CapturedLog }> {
  const simulator = await startTestAngelSimulator();
  const session = await angelSession(simulator);
  const { captured, log } = capturingLogger();
  const angel = createAngelOneBroker({
    apiKey: ANGEL_SIM_ACCOUNT.apiKey,
    clientCode: ANGEL_SIM_ACCOUNT.clientCode,
    accessToken: () => session.jwt,
    feedToken: () => session.feedToken,
    root: simulator.apiRoot,
    orderStreamUrl: simulator.orderStreamUrl,
    network: TEST_NETWORK,
    timeoutMs: options.timeoutMs ?? 1000,
    ...testAdapterOptions(options),
    reconnectBaseMs: 50,
    reconnectMaxMs: 500,
    log,
  });
  angel.start();
  await eventually(() => angel.stream.connected(), 5000, 'the order-status socket');
  return {
    simulator,
    angel,
    log: captured,
    broker: angel.broker,
    ...simulatorLevers(simulator.control, (o) => o.ordertag),
    dropConnection: async () => {
      const connects = angel.stream.connects;
      simulator.control.dropStreams();
      await eventually(() => angel.stream.connects > connects, 5000, 'the stream reconnect');
    },
    tokenRefusal: /AG8001/,
    close: async () => {
      await angel.close();
      await simulator.stop();
    },
  };
}
