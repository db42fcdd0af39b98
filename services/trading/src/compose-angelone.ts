import { SMARTAPI_URLS } from '../../common/angelone/smartapi';
import { angelSocketHeaders, createAngelOneBroker } from './broker/angelone/angelone-broker';
import { StreamSocket } from './broker/stream-socket';
import type { ComposedVenue, VenueDeps } from './compose-broker';
import {
  brokerSecretStore,
  startBrokerToken,
  startSocketVenue,
  universeKeys,
} from './compose-live-broker';
import type { TradingConfig } from './config';
import { AngelOneFeed } from './market/angelone-feed';

/** Angel One's sockets expect "ping" every 10 s (its SDK's interval). */
const HEARTBEAT = { payload: 'ping', intervalMs: 10_000 } as const;

/**
 * BROKER=angelone: the Angel One adapter (order updates on the order-status socket) and
 * `AngelOneFeed` on the WebSocket V2 feed, with the session (JWT, feed token) re-read from the
 * stage's secret store (`tradeops token login --broker angelone` and the token check's renewal
 * write it); the universe's symbols Angel does not list on NSE are logged and not subscribed.
 */
export async function composeAngelOne(
  config: TradingConfig,
  deps: VenueDeps,
): Promise<ComposedVenue> {
  const { env } = config;
  const { log, universe } = deps;
  const store = brokerSecretStore(config, 'angelone');
  const app = await store.readApp(env.BROKER_TOKEN_NAME);
  let angel: ReturnType<typeof createAngelOneBroker> | undefined;
  const token = await startBrokerToken(config, store, {
    label: 'Angel One',
    broker: 'angelone',
    adapter: () => angel?.broker,
    log,
  });
  const network = { publicIp: env.ANGELONE_PUBLIC_IP as string };
  angel = createAngelOneBroker({
    apiKey: app.api_key,
    clientCode: app.client_code,
    accessToken: () => token.accessToken(),
    feedToken: () => token.feedToken(),
    root: env.ANGELONE_API_ROOT,
    orderStreamUrl: env.ANGELONE_ORDER_STREAM_URL,
    network,
    token: { name: env.BROKER_TOKEN_NAME, expiresAt: () => token.expiresAt() },
    strategies: env.BROKER_STRATEGIES ?? {},
    algoStrategies: deps.algoStrategies,
    heartbeatMs: HEARTBEAT.intervalMs,
    log,
  });
  const venue = angel.venue;
  const symbols = await universeKeys(
    universe,
    async (symbol) => (await venue.instrument(symbol))?.symboltoken,
    'Angel One',
    log,
  );
  const socket = new StreamSocket({
    endpoint: async () => ({
      url: env.ANGELONE_FEED_URL ?? SMARTAPI_URLS.websocketURL,
      // As the SDK's WebSocketV2 sends them: the JWT without "Bearer".
      headers: angelSocketHeaders({
        apiKey: app.api_key,
        clientCode: app.client_code,
        jwt: token.accessToken(),
        feedToken: token.feedToken(),
        bearer: false,
      }),
    }),
    heartbeat: HEARTBEAT,
    onError: (err) => log.warn({ err }, 'Angel One feed error'),
  });
  const feed = new AngelOneFeed({ socket, symbols, log });
  return startSocketVenue(angel, socket, feed, token);
}
