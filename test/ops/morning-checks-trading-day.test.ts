import type { BrokerHealthView as BrokerView, FeedView } from '../../contract/trading-api';
import {
  brokerTokens,
  egressIp,
  feedFreshness,
  holidayCalendar,
} from '../../services/ops/checks/morning-checks';
import type { OpsSettings } from '../../services/ops/platform/ports';
import { context, resetAwsOpsFixtures, run, trading } from './aws-ops-fixtures';

beforeEach(resetAwsOpsFixtures);

// The morning checks of the trading day itself: the broker's tokens and feeds (asked of a task),
// the egress IPs the broker must know, and the day's session in the holiday calendar.
describe('morning checks: PASS, WARN and FAIL, against mocked AWS APIs', () => {
  describe('broker-tokens and feed-freshness (asked of a running trading task)', () => {
    const withTask = () =>
      context({
        fleet: {
          ...context().fleet,
          tasks: async () => [{ taskId: 't1', url: 'http://10.0.1.5:8000', status: 'RUNNING' }],
        },
      });

    it('broker-tokens: PASS when every named token is valid past 15:30 IST today', async () => {
      expect(await run(brokerTokens, withTask())).toMatchObject({
        status: 'PASS',
        detail: 'kite connected; 2 token(s) valid past 15:30 IST (PRIMARY, WEBSOCKET1)',
      });
    });

    it('broker-tokens: FAIL for a token that expires before the close, or one that is missing', async () => {
      trading.broker_ = {
        ...trading.broker_,
        tokens: [{ name: 'PRIMARY', expiresAt: '2026-11-23T09:00:00Z' }],
      } as BrokerView;
      expect(await run(brokerTokens, withTask())).toMatchObject({
        status: 'FAIL',
        detail: 'missing: WEBSOCKET1; expire before 15:30 IST: PRIMARY, WEBSOCKET1',
      });
    });

    it('broker-tokens: FAIL with no task to ask', async () => {
      expect(await run(brokerTokens)).toMatchObject({
        status: 'FAIL',
        detail: 'no trading task running to ask the broker',
      });
    });

    it('feed-freshness: PASS fresh; WARN stale before the open; FAIL stale while open', async () => {
      expect((await run(feedFreshness, withTask())).status).toBe('PASS');
      trading.feeds_ = [
        { source: 'kite', status: 'STALE', tick_lag_sec: 45, depth_lag_sec: 50 } as FeedView,
      ];
      expect(await run(feedFreshness, withTask())).toMatchObject({
        status: 'WARN',
        detail: 'kite STALE (tick 45 s, depth 50 s); market closed',
      });
      trading.marketOpen = true;
      expect((await run(feedFreshness, withTask())).status).toBe('FAIL');
    });
  });

  describe('egress-ip', () => {
    const withSettings = (settings: Partial<OpsSettings>) => {
      const base = context();
      return { ...base, settings: { ...base.settings, ...settings } };
    };

    it('PASSes when every NAT egress IP is registered', async () => {
      expect(await run(egressIp)).toMatchObject({
        status: 'PASS',
        detail: '13.1.2.3, 13.1.2.4 registered',
      });
    });

    it.each(['PAPER', 'LIVE'] as const)(
      'FAILs in %s naming the egress IP that is not registered',
      async (mode) => {
        const outcome = await run(
          egressIp,
          withSettings({ mode, egressIps: ['13.1.2.3', '52.9.9.9'] }),
        );

        expect(outcome).toMatchObject({
          status: 'FAIL',
          detail:
            'egress IP(s) 52.9.9.9 not registered (registered: 13.1.2.3, 13.1.2.4): the broker refuses orders sent through them',
        });
      },
    );

    it('WARNs in PAPER and FAILs in LIVE when no IP is registered', async () => {
      const paper = await run(egressIp, withSettings({ registeredEgressIps: [] }));
      const live = await run(egressIp, withSettings({ mode: 'LIVE', registeredEgressIps: [] }));

      expect(paper).toMatchObject({
        status: 'WARN',
        detail:
          'no registered egress IPs configured: register 13.1.2.3, 13.1.2.4 with the broker and deploy with -c registeredEgressIps=13.1.2.3,13.1.2.4',
      });
      expect(live).toMatchObject({
        status: 'FAIL',
        detail: expect.stringMatching(/^no registered egress IPs configured: .*a LIVE stage/),
      });
    });

    it('skips in PAPER and FAILs in LIVE when the egress IPs are not known here', async () => {
      expect(await run(egressIp, withSettings({ egressIps: [] }))).toMatchObject({
        status: 'SKIPPED',
      });
      expect(await run(egressIp, withSettings({ mode: 'LIVE', egressIps: [] }))).toMatchObject({
        status: 'FAIL',
        detail: expect.stringMatching(/egress IPs are not known here/),
      });
    });
  });

  it('holiday-calendar: PASS while the year has the official calendar', async () => {
    expect(await run(holidayCalendar)).toMatchObject({
      status: 'PASS',
      detail: 'session 09:15-15:30 IST, square-off 15:25; NSE list for 2026 from the repository',
    });
  });

  it('holiday-calendar: WARNs on a special session whose hours are provisional (Muhurat 2026)', async () => {
    expect(await run(holidayCalendar, context({ day: '2026-11-08' }))).toMatchObject({
      status: 'WARN',
      detail:
        "session 18:00-19:00 IST, square-off 18:55 (special session: Muhurat Trading, Diwali Laxmi Pujan); these hours are provisional, not yet the exchange's: import its timing circular (tradeops calendar import); settlement holiday (Diwali Laxmi Pujan (Sunday)): trading as usual, no settlement today; NSE list for 2026 from the repository",
    });
    expect((await run(holidayCalendar, context({ day: '2026-02-01' }))).status).toBe('PASS');
  });
});
