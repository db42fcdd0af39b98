import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stageTokensFor } from '../../contract/broker-tokens';
import { operatorNames } from '../../contract/names';
import type { BrokerHealthView } from '../../contract/trading-api';
import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import { exchangeRequestToken } from '../../services/common/kite/kite-login';
import { MarketCalendar } from '../../services/common/market-calendar';
import { tokenLogin } from '../../services/common/tokens/token-login-registry';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { brokerLogout } from '../../services/ops/checks/evening-checks';
import { type Check, runChecks } from '../../services/ops/checks/framework';
import { brokerTokens } from '../../services/ops/checks/morning-checks';
import type { ChecklistContext } from '../../services/ops/checks/support';
import { DEFAULT_OPS_SETTINGS, type Fleet } from '../../services/ops/platform/ports';
import { TradingClient } from '../../services/ops/platform/trading-client';
import { SIM_CREDENTIALS, startTestSimulator } from '../sim/kite-sim-support';

/** The task's view of its broker: connected (the Kite proof is the ops side's own). */
class ConnectedKite extends TradingClient {
  constructor() {
    super(async () => 'token');
  }
  override async broker(): Promise<BrokerHealthView> {
    return {
      name: 'kite',
      connected: true,
      circuitBreaker: 'CLOSED',
      tokens: [],
    } as BrokerHealthView;
  }
}

const fleet = {
  tasks: async () => [{ taskId: 't1', url: 'http://127.0.0.1:1', status: 'RUNNING' }],
} as unknown as Fleet;

/** Yesterday in IST: its close is past, and a token logged in now is valid beyond it. */
const yesterdayIst = () =>
  new Date(Date.now() + 330 * 60_000 - 86_400_000).toISOString().slice(0, 10);

let simulator: KiteSimulator;
let store: LocalTokenSecretStore<'kite'>;
let dir: string;

/** A Kite stage's tokens through the registry's Kite login (no gate: nothing generates here). */
function context(
  tokens: ChecklistContext['tokens'] = {
    config: stageTokensFor('kite', ['PRIMARY']),
    login: tokenLogin('kite', {
      stage: 'local',
      secrets: { kind: 'local', dir },
      apiRoot: simulator.apiRoot,
      timeoutMs: 2000,
    }),
  },
): ChecklistContext {
  return {
    stage: 'local',
    names: operatorNames('local'),
    fleet,
    trading: new ConnectedKite(),
    tokens,
    now: Date.now,
    settings: { ...DEFAULT_OPS_SETTINGS, brokerTokens: ['PRIMARY'] },
    day: yesterdayIst(),
    calendar: new MarketCalendar(),
  } as unknown as ChecklistContext;
}

const run = (check: Check<ChecklistContext>, ctx = context()) =>
  check.run(ctx, new AbortController().signal);

async function login(name = 'PRIMARY') {
  await exchangeRequestToken(
    store,
    { name, requestToken: simulator.control.issueRequestToken() },
    { apiRoot: simulator.apiRoot },
  );
}

beforeEach(async () => {
  simulator = await startTestSimulator();
  dir = mkdtempSync(path.join(os.tmpdir(), 'kite-checks-'));
  store = new LocalTokenSecretStore(dir, 'kite');
  await store.writeApp('PRIMARY', {
    api_key: SIM_CREDENTIALS.apiKey,
    api_secret: SIM_CREDENTIALS.apiSecret,
  });
});

afterEach(async () => {
  await simulator.stop().catch(() => undefined);
});

describe('broker-tokens on a Kite stage (proven with getProfile against the simulator)', () => {
  it('passes when Kite accepts every named token', async () => {
    // Arrange
    await login();
    // Act
    const outcome = await run(brokerTokens);
    // Assert
    expect(outcome.status).toBe('PASS');
    expect(outcome.detail).toContain(
      'FAST EXIT: all 1 tokens valid past 15:30 IST, proven by kite',
    );
    expect(JSON.stringify(outcome.data)).toContain(`Kite profile ${SIM_CREDENTIALS.userId}`);
  });

  it('fails with Kite own words for a token whose expiry is ahead but that Kite refuses', async () => {
    await login();
    simulator.control.expireTokens();
    const outcome = await run(brokerTokens);
    expect(outcome).toMatchObject({
      status: 'FAIL',
    });
    expect(outcome.detail).toMatch(
      /^PRIMARY EXPIRED: Kite refuses it: TokenException: Incorrect `api_key` or `access_token`\.; run: tradeops token login local --broker kite --all-invalid$/,
    );
  });

  it('fails for a named token never stored', async () => {
    const outcome = await run(brokerTokens);
    expect(outcome.status).toBe('FAIL');
    expect(outcome.detail).toMatch(/^PRIMARY MISSING: no token stored: run token login; run: /);
  });

  it('fails, never passes, when Kite cannot be reached', async () => {
    await login();
    await simulator.stop();
    const outcome = await run(brokerTokens);
    expect(outcome.status).toBe('FAIL');
    expect(outcome.detail).toMatch(/^PRIMARY not proven: Kite not asked \(/);
  });

  it('fails when the app secret cannot be read', async () => {
    await login();
    writeFileSync(path.join(dir, 'app.json'), 'not json');
    const [result] = await runChecks([brokerTokens], context(), 5000);
    expect(result).toMatchObject({ status: 'FAIL' });
    expect(result?.detail).toContain('app.json is not JSON');
  });
});

describe('broker-logout on a Kite stage (the evening checklist)', () => {
  it('logs the session out through the SDK: Kite refuses the token afterwards', async () => {
    await login();
    const outcome = await run(brokerLogout);
    expect(outcome).toMatchObject({ status: 'PASS', detail: 'kite logged out: PRIMARY' });
    const [status] = await (context().tokens?.login.status(['PRIMARY'], Date.now()) ?? []);
    expect(status).toMatchObject({ state: 'EXPIRED', proven: true });
  });

  it('fails when Kite cannot be reached to log out', async () => {
    await login();
    await simulator.stop();
    const outcome = await run(brokerLogout);
    expect(outcome.status).toBe('FAIL');
    expect(outcome.detail).toMatch(/^Kite did not log PRIMARY out: /);
  });

  it('says so when no token is stored', async () => {
    expect(await run(brokerLogout)).toMatchObject({
      status: 'PASS',
      detail: 'no session logged out; no token stored: PRIMARY',
    });
  });

  it('is skipped on a paper stage', async () => {
    expect(await run(brokerLogout, { ...context(), tokens: undefined })).toMatchObject({
      status: 'SKIPPED',
    });
  });
});
