import { loadTradingConfig } from '../../services/trading/src/config';

describe('the trading service environment with BROKER=angelone', () => {
  const env = {
    STAGE: 'local',
    MODE: 'LIVE',
    LIVE_CONFIRMATION: 'I understand this places real orders',
    BROKER: 'angelone',
    BROKER_LOCAL_SECRET_DIR: '/tmp/secrets/angelone',
    DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
    CONTROL_TOKEN: 'a-control-token-of-some-length',
    LOCAL_PARAMETER_FILE: '/tmp/parameters.json',
  };

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
