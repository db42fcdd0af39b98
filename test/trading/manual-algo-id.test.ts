import { loadTradingConfig } from '../../services/trading/src/config';
import { liveLocalEnv } from '../support/trading-env';

describe('the manual orders’ algo ID (MANUAL_ALGO_ID)', () => {
  const live = liveLocalEnv('kite');

  it("defaults to the exchange's generic algo ID", () => {
    expect(loadTradingConfig(live).env.MANUAL_ALGO_ID).toBe('99999');
  });

  it('refuses a value outside the exchange format, naming it', () => {
    expect(() => loadTradingConfig({ ...live, MANUAL_ALGO_ID: 'OPS1' })).toThrow(
      /MANUAL_ALGO_ID: expected the exchange's algo ID.*"OPS1"/,
    );
  });

  it("refuses to start LIVE with one too long for the broker's tag", () => {
    expect(() => loadTradingConfig({ ...live, MANUAL_ALGO_ID: '123456789' })).toThrow(
      /MANUAL_ALGO_ID: algo ID "123456789" is 9 characters: kite's tag is at most 20.*manual orders could not be sent/,
    );
  });

  it('takes one the exchange issued', () => {
    expect(loadTradingConfig({ ...live, MANUAL_ALGO_ID: '40001' }).env.MANUAL_ALGO_ID).toBe(
      '40001',
    );
  });
});
