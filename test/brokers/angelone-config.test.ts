import { loadTradingConfig } from '../../services/trading/src/config';
import { liveLocalEnv } from '../support/trading-env';

describe('the trading service environment with BROKER=angelone', () => {
  const env = liveLocalEnv('angelone');

  it("refuses to start without the desk's static IP, naming the variable", () => {
    expect(() => loadTradingConfig(env)).toThrow(
      /ANGELONE_PUBLIC_IP: required with BROKER=angelone: the desk's static IP registered with Angel One/,
    );
  });

  it('refuses a static IP that is not an IPv4 address, naming the value', () => {
    expect(() => loadTradingConfig({ ...env, ANGELONE_PUBLIC_IP: 'null' })).toThrow(
      /ANGELONE_PUBLIC_IP.*"null"/,
    );
  });
});
