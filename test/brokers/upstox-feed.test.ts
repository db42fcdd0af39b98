import { StreamSocket } from '../../services/trading/src/broker/stream-socket';
import { UpstoxVenue } from '../../services/trading/src/broker/upstox/upstox-venue';
import { UpstoxFeed } from '../../services/trading/src/market/upstox-feed';
import { describeSocketFeed } from './feed-suite';
import { startTestUpstoxSimulator, upstoxAccessToken } from './upstox-venue';

const INFY = 'NSE_EQ|INE009A01021';
const RELIANCE = 'NSE_EQ|INE002A01018';

describeSocketFeed({
  title: 'UpstoxFeed against the Upstox simulator (Market Data Feed V3, protobuf)',
  startSimulator: () => startTestUpstoxSimulator(),
  connect: async (simulator, options) => {
    const token = await upstoxAccessToken(simulator);
    const venue = new UpstoxVenue({ accessToken: () => token, apiRoot: simulator.apiRoot });
    const socket = new StreamSocket({
      endpoint: async () => ({ url: await venue.marketFeedUri() }),
      reconnectBaseMs: 50,
    });
    const symbols = new Map([
      [INFY, 'INFY'],
      [RELIANCE, 'RELIANCE'],
    ]);
    return { socket, feed: new UpstoxFeed({ socket, symbols, ...options }) };
  },
  socketName: 'the market feed socket',
  ticksTest: 'turns protobuf frames into ticks with the best bid and ask of the depth',
  reportsDepth: false,
  frame: 'frame',
  malformedTest: 'counts and logs a frame protobuf cannot decode, and keeps going',
  malformedLog: 'malformed Upstox feed frame dropped',
});
