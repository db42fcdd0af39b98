import { ApiClient, LoginApi } from 'upstox-js-sdk';
import { startUpstoxSimulator, type UpstoxSimulator } from '../../scripts/sim/upstox/simulator';
import {
  createUpstoxBroker,
  type UpstoxBroker,
} from '../../services/trading/src/broker/upstox/upstox-broker';
import { eventually } from '../trading/harness';
import type { BrokerVenue } from './broker-contract';
import {
  type CapturedLog,
  capturingLogger,
  simulatorLevers,
  testAdapterOptions,
} from './sim-venue';

/** The simulator's app in tests: made up, never a real app's. */
export const UPSTOX_SIM_APP = {
  clientId: 'test-client',
  clientSecret: 'test-secret',
  userId: 'UP1234',
} as const;

/** A simulator on a free loopback port that steps its prices only when a test says so. */
export function startTestUpstoxSimulator(
  overrides: Partial<Parameters<typeof startUpstoxSimulator>[0]> = {},
): Promise<UpstoxSimulator> {
  return startUpstoxSimulator({ ...UPSTOX_SIM_APP, port: 0, tickIntervalMs: 0, ...overrides });
}

/** An access token from the simulator through the SDK's token exchange. */
export async function upstoxAccessToken(simulator: UpstoxSimulator): Promise<string> {
  const client = new ApiClient();
  client.basePath = simulator.apiRoot;
  const answer = await new Promise<{ accessToken: string }>((resolve, reject) =>
    new LoginApi(client).token(
      '2.0',
      {
        code: simulator.control.issueCode(),
        clientId: UPSTOX_SIM_APP.clientId,
        clientSecret: UPSTOX_SIM_APP.clientSecret,
        redirectUri: simulator.redirectUri,
        grantType: 'authorization_code',
      },
      (error, data) => (error ? reject(error) : resolve(data as { accessToken: string })),
    ),
  );
  return answer.accessToken;
}

/** The Upstox adapter on the official SDK, logged in to a fresh simulator on a free port. */
export async function startUpstoxVenue(
  options: { pollMs?: number; readBackoffMs?: number; timeoutMs?: number } = {},
): Promise<BrokerVenue & { simulator: UpstoxSimulator; upstox: UpstoxBroker; log: CapturedLog }> {
  const simulator = await startTestUpstoxSimulator();
  const accessToken = await upstoxAccessToken(simulator);
  const { captured, log } = capturingLogger();
  const upstox = createUpstoxBroker({
    accessToken: () => accessToken,
    apiRoot: simulator.apiRoot,
    timeoutMs: options.timeoutMs ?? 1000,
    ...testAdapterOptions(options),
    reconnectBaseMs: 50,
    reconnectMaxMs: 500,
    log,
  });
  upstox.start();
  await eventually(() => upstox.stream.connected(), 5000, 'the portfolio stream');
  return {
    simulator,
    upstox,
    log: captured,
    broker: upstox.broker,
    ...simulatorLevers(simulator.control, (o) => o.tag),
    dropConnection: async () => {
      const connects = upstox.stream.connects;
      simulator.control.dropStreams();
      await eventually(() => upstox.stream.connects > connects, 5000, 'the stream reconnect');
    },
    tokenRefusal: /UDAPI100050/,
    close: async () => {
      await upstox.close();
      await simulator.stop();
    },
  };
}
