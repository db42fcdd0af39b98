import { createSmartApi } from '../../services/common/angelone/smartapi';
import {
  ANGEL_SIM_ACCOUNT,
  angelSession,
  startAngelOneVenue,
  TEST_NETWORK,
} from './angelone-venue';
import { describeBrokerFaults } from './broker-faults';

describeBrokerFaults(
  {
    name: 'Angel One',
    start: () => startAngelOneVenue({ pollMs: 60_000 }),
    counters: (venue) => venue.angel.broker.counters,
    timedOut: {
      test: 'finds a placement that timed out after Angel accepted it (the SDK answers {}), and never places it twice',
      words: /^NO_ANSWER: no answer from Angel One/,
    },
    throttled: {
      test: 'backs off through throttling on reads, and never repeats a throttled placement',
      words: /^HTTP 429: Too Many Requests: Access denied because of exceeding access rate/,
    },
    tokenRefused: {
      test: 'halts trading with "broker token invalid" within 2 s of AG8001 mid-day',
      words: /AG8001/,
      cause: /^broker token invalid: AG8001: Invalid Token/,
    },
    rmsRejection: {
      test: "reports an RMS rejection with Angel's text",
      reason: /^rejected: Your order price is higher than the current upper circuit limit/,
    },
    streamFills: {
      test: 'turns order-status socket messages into fills with Angel fill ids, without the poll',
      stream: 'the fill from the socket',
      tradeId: 'fillid',
    },
    stopWithoutTrigger: {
      test: "refuses a stop-loss order without its trigger price in Angel One's words, placing nothing",
      words: /AB4008: Invalid triggerprice/,
    },
  },
  (fixture) => {
    it("retries reads through 5xx answers and keeps Angel's words", async () => {
      const { venue } = fixture;
      venue.simulator.control.armFaults({ failNext: { count: 2, status: 500 } });
      await expect(venue.broker.positions()).resolves.toEqual([]);

      venue.simulator.control.armFaults({ failNext: { count: 10, status: 500 } });
      await expect(venue.broker.positions()).rejects.toThrow(
        'AB2001: Internal Error, Please try after sometime',
      );
      venue.simulator.control.armFaults({ failNext: { count: 10, status: 502 } });
      await expect(venue.broker.positions()).rejects.toThrow(/^HTTP 502: Bad Gateway: <html>/);
    });

    it('refuses an order tag over 20 characters at the simulator, as Angel does', async () => {
      const { venue } = fixture;
      // The adapter never builds one (orderTag caps it): send one past it through the SDK.
      // A second login: the TOTP of the next step (the first one's code is spent).
      const session = await angelSession(venue.simulator, Date.now() + 30_000);
      const smart = createSmartApi({
        apiKey: ANGEL_SIM_ACCOUNT.apiKey,
        root: venue.simulator.apiRoot,
        accessToken: session.jwt,
        network: TEST_NETWORK,
      });
      const answer = await smart.placeOrder({
        variety: 'NORMAL',
        tradingsymbol: 'INFY-EQ',
        symboltoken: '1594',
        transactiontype: 'BUY',
        exchange: 'NSE',
        ordertype: 'MARKET',
        producttype: 'INTRADAY',
        duration: 'DAY',
        quantity: '1',
        ordertag: 'X'.repeat(21),
      });

      expect(answer).toMatchObject({ status: false, errorcode: 'AB4008' });
      expect(answer).toMatchObject({
        message: 'ordertag length should be less than 20 characters',
      });
      expect(venue.simulator.control.book().orders).toEqual([]);
    });
  },
);
