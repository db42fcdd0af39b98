import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { stageTokensFor } from '../../contract/broker-tokens';
import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import { kiteTokenLogin } from '../../services/common/kite/kite-token-login';
import { MarketCalendar } from '../../services/common/market-calendar';
import { PgTokenGate } from '../../services/common/tokens/token-gate';
import type { BrokerTokenLogin } from '../../services/common/tokens/token-login';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import type { Check } from '../../services/ops/checks/framework';
import { brokerTokens } from '../../services/ops/checks/morning-checks';
import type { ChecklistContext } from '../../services/ops/checks/support';
import { namedTokens } from '../../services/ops/checks/token-checks';
import { localOpsContext } from '../../services/ops/platform/local/local-context';
import type { OpsContext, TokenAccess } from '../../services/ops/platform/ports';
import { tokenRenewal } from '../../services/ops/procedures/token-check';
import { SIM_CREDENTIALS, startTestSimulator } from '../sim/kite-sim-support';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { localTokenStack } from '../support/local-token-stack';

let db: TestDatabase;
let simulator: KiteSimulator;
let dir: string;
let base: OpsContext & { readonly pool: Pool };

/** Yesterday in IST: its close is past, and a token logged in now is valid beyond it. */
const yesterdayIst = () =>
  new Date(Date.now() + 330 * 60_000 - 86_400_000).toISOString().slice(0, 10);

function kite(): BrokerTokenLogin {
  return kiteTokenLogin({
    stage: 'local',
    secrets: { kind: 'local', dir: path.join(dir, 'secrets') },
    apiRoot: simulator.apiRoot,
    loginUrl: simulator.loginUrl,
    timeoutMs: 3000,
  });
}

/**
 * An unattended login, as Angel One's is: no person. Kite's real exchange against the simulator,
 * whose login page redirects at once with a request_token, so nothing needs pasting.
 */
function unattendedKite(): BrokerTokenLogin {
  const login = kite();
  return {
    ...login,
    mode: 'unattended',
    exchange: async ({ name, now }) => {
      const page = await fetch(await login.loginLink(name), { redirect: 'manual' });
      return login.exchange({ name, pasted: page.headers.get('location') ?? '', now });
    },
  };
}

function context(login: BrokerTokenLogin, names = ['PRIMARY', 'OPTIONCHAIN1']): ChecklistContext {
  const tokens: TokenAccess = {
    // OPTIONCHAIN1: neither traded nor streamed with.
    config: { ...stageTokensFor('kite', names), streams: names.filter((n) => n === 'PRIMARY') },
    login,
    gate: new PgTokenGate(db.pool, 'local'),
  };
  return { ...base, tokens, day: yesterdayIst(), calendar: new MarketCalendar() };
}

const run = (check: Check<ChecklistContext>, ctx: ChecklistContext) =>
  check.run(ctx, new AbortController().signal);

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

beforeEach(async () => {
  simulator = await startTestSimulator();
  dir = mkdtempSync(path.join(os.tmpdir(), 'token-check-'));
  await new LocalTokenSecretStore(path.join(dir, 'secrets'), 'kite').writeApp('PRIMARY', {
    api_key: SIM_CREDENTIALS.apiKey,
    api_secret: SIM_CREDENTIALS.apiSecret,
  });
  await db.pool.query('DELETE FROM broker_token_gate');
  base = localOpsContext(localTokenStack(db, dir, {}), 'scheduler');
});

afterEach(async () => {
  await base.pool.end();
  await simulator.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('token check', () => {
  it('fails for an interactive broker with the exact command to run, and renews nothing', async () => {
    // Arrange
    const ctx = context(kite());

    // Act
    const renewal = await run(tokenRenewal, ctx);
    const check = await run(namedTokens('all'), ctx);

    // Assert
    expect(renewal.status).toBe('SKIPPED');
    expect(check.status).toBe('FAIL');
    expect(check.detail).toMatch(/PRIMARY MISSING/);
    expect(check.detail).toMatch(/run: tradeops token login local --broker kite --all-invalid$/);
  });

  it("renews an unattended broker's missing tokens through the gate, audited, then passes", async () => {
    // Arrange
    const ctx = context(unattendedKite());

    // Act
    const renewal = await run(tokenRenewal, ctx);
    const check = await run(namedTokens('all'), ctx);

    // Assert
    expect(renewal.status).toBe('PASS');
    expect(renewal.detail).toMatch(/Generating 2 tokens: \[PRIMARY, OPTIONCHAIN1\]/);
    expect(check.status).toBe('PASS');
    expect(check.detail).toMatch(/^FAST EXIT: all 2 tokens valid/);
    const { rows } = await db.pool.query<{ actor: string; outcome: string }>(
      `SELECT actor, outcome FROM control_audit WHERE action = 'token-login' ORDER BY id DESC LIMIT 2`,
    );
    expect(rows).toEqual([
      { actor: 'token-check', outcome: 'OK' },
      { actor: 'token-check', outcome: 'OK' },
    ]);
  });

  it('reports COOLDOWN with the failing token and when to retry', async () => {
    // Arrange: a failed generation of OPTIONCHAIN1.
    const ctx = context(kite());
    const gate = ctx.tokens?.gate as PgTokenGate;
    const claim = await gate.claim('kite', 'OPTIONCHAIN1', 'oncall@desk');
    if (!claim.granted) throw new Error('claim refused');
    await gate.failed('kite', claim.id, {
      token: 'OPTIONCHAIN1',
      by: 'oncall@desk',
      words: 'TokenException: Token is invalid or has expired.',
      cooldownMs: 11 * 60_000,
    });

    // Act
    const check = await run(namedTokens('all'), ctx);

    // Assert
    expect(check.status).toBe('FAIL');
    expect(check.detail).toMatch(/OPTIONCHAIN1 COOLDOWN/);
    expect(check.detail).toMatch(
      /kite cooldown until .* IST after OPTIONCHAIN1 failed: retry then/,
    );
  });
});

describe('morning checklist broker-tokens', () => {
  it('is NOT READY (FAIL) only while a token the service trades or streams with is invalid', async () => {
    // Arrange: the trading/streaming PRIMARY valid, OPTIONCHAIN1 missing.
    const ctx = context(unattendedKite());
    await ctx.tokens?.login.exchange({ name: 'PRIMARY', now: Date.now() });

    // Act
    const withOptionChainMissing = await run(brokerTokens, ctx);
    const withTradingTokenMissing = await run(brokerTokens, context(kite(), ['TRADING2']));

    // Assert
    expect(withOptionChainMissing.status).toBe('WARN');
    expect(withOptionChainMissing.detail).toMatch(/OPTIONCHAIN1 MISSING.*not traded or streamed/);
    expect(withTradingTokenMissing.status).toBe('FAIL');
    expect(withTradingTokenMissing.detail).toMatch(/TRADING2 MISSING/);
  });
});
