import { describeBrokerFaults } from './broker-faults';
import { startUpstoxVenue } from './upstox-venue';

describeBrokerFaults(
  {
    name: 'Upstox',
    start: () => startUpstoxVenue({ pollMs: 60_000 }),
    counters: (venue) => venue.upstox.broker.counters,
    timedOut: {
      test: 'finds a placement that timed out after Upstox accepted it, and never places it twice',
      words: /ECONNABORTED|[Tt]imeout/,
    },
    throttled: {
      test: 'backs off through a 429 storm on reads, and never repeats a throttled placement',
      words: 'UDAPI10005: Too Many Request Sent',
    },
    tokenRefused: {
      test: 'halts trading with "broker token invalid" within 2 s of a 401 mid-day',
      words: /UDAPI100050/,
      cause: /^broker token invalid: UDAPI100050: Invalid token used to access API/,
    },
    rmsRejection: {
      test: "reports an RMS rejection with Upstox's status message",
      reason: /^rejected: Your order price is higher than the current upper circuit limit/,
    },
    streamFills: {
      test: 'turns portfolio-stream updates into fills with Upstox trade ids, without the poll',
      stream: 'the fill from the stream',
      tradeId: 'trade_id',
    },
    stopWithoutTrigger: {
      test: "refuses a stop-loss order without its trigger price in Upstox's words, placing nothing",
      words: /UDAPI100036: trigger_price must be greater than 0 for order_type SL-M/,
    },
  },
  (fixture) => {
    it('retries reads through 5xx gateway pages and keeps the status as the words', async () => {
      const { venue } = fixture;
      venue.simulator.control.armFaults({ failNext: { count: 2, status: 503 } });

      await expect(venue.broker.positions()).resolves.toEqual([]);
      venue.simulator.control.armFaults({ failNext: { count: 10, status: 502 } });
      await expect(venue.broker.positions()).rejects.toThrow(/HTTP 502/);
    });
  },
);
