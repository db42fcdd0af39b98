import type { AngelSimulator } from '../../scripts/sim/angelone/simulator';
import { angelSocketHeaders } from '../../services/trading/src/broker/angelone/angelone-broker';
import { StreamSocket } from '../../services/trading/src/broker/stream-socket';
import { AngelOneFeed } from '../../services/trading/src/market/angelone-feed';
import { eventually } from '../trading/harness';
import { ANGEL_SIM_ACCOUNT, angelSession, startTestAngelSimulator } from './angelone-venue';
import { describeSocketFeed } from './feed-suite';

/** The session of the running test's simulator. */
let session: { jwt: string; feedToken: string };

const feedSocket = (
  simulator: AngelSimulator,
  feedToken: string,
  onError?: (error: unknown) => void,
) =>
  new StreamSocket({
    onError,
    endpoint: async () => ({
      url: simulator.feedUrl,
      headers: angelSocketHeaders({
        apiKey: ANGEL_SIM_ACCOUNT.apiKey,
        clientCode: ANGEL_SIM_ACCOUNT.clientCode,
        jwt: session.jwt,
        feedToken,
        bearer: false,
      }),
    }),
    reconnectBaseMs: 50,
    reconnectMaxMs: 200,
    heartbeat: { payload: 'ping', intervalMs: 100 },
  });

describeSocketFeed(
  {
    title: 'AngelOneFeed against the Angel One simulator (WebSocket V2, binary)',
    startSimulator: () => startTestAngelSimulator(),
    connect: async (simulator, options) => {
      session = await angelSession(simulator);
      const socket = feedSocket(simulator, session.feedToken);
      const symbols = new Map([
        ['1594', 'INFY'],
        ['2885', 'RELIANCE'],
      ]);
      return { socket, feed: new AngelOneFeed({ socket, symbols, ...options }) };
    },
    socketName: 'the feed socket',
    ticksTest: 'turns SNAP_QUOTE packets into ticks with the best bid and ask of the best five',
    reportsDepth: true,
    frame: 'packet',
    malformedTest: 'counts and logs a packet cut short, and keeps going',
    malformedLog: 'malformed Angel One feed packet dropped',
  },
  (fixture) => {
    it('keeps the socket alive with "ping" and skips the "pong" answers', async () => {
      let pongs = 0;
      fixture.socket.onMessage((data, binary) => {
        if (!binary && data.toString() === 'pong') pongs += 1;
      });

      await eventually(() => pongs >= 3, 5000, 'three heartbeats answered');

      expect(fixture.socket.connects).toBe(1);
      expect(fixture.feed.counters.errorMessages).toBe(0);
    });

    it("refuses a socket without the session's feed token (401), and never opens it", async () => {
      const errors: string[] = [];
      const wrong = feedSocket(fixture.simulator, 'not-the-feed-token', (e) =>
        errors.push(String(e)),
      );
      wrong.start();

      await eventually(() => errors.length >= 2, 5000, 'two refused attempts');
      wrong.close();

      expect(errors[0]).toMatch(/Unexpected server response: 401/);
      expect(wrong.connects).toBe(0);
    });
  },
);
