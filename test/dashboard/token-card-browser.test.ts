import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { stageTokensFor } from '../../contract/broker-tokens';
import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import { PgTokenGate } from '../../services/common/tokens/token-gate';
import { tokenLogin } from '../../services/common/tokens/token-login-registry';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { LocalTokenAuth } from '../../services/dashboard/src/auth';
import { localControl } from '../../services/dashboard/src/control';
import { buildDashboardServer, type DashboardServer } from '../../services/dashboard/src/server';
import { localOpsContext } from '../../services/ops/platform/local/local-context';
import type { OpsContext, TokenAccess } from '../../services/ops/platform/ports';
import { regenerateTokens } from '../../services/ops/steps/token-generation';
import { SIM_CREDENTIALS, startTestSimulator } from '../sim/kite-sim-support';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { localTokenStack } from '../support/local-token-stack';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(__dirname, '../../test-results/dashboard');
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) {
  throw new Error(`CI needs ${CHROMIUM} for the dashboard's browser tests (.ci/run installs it)`);
}
const TOKEN = 'card-test-token-0123456789';

/**
 * The token card in real Chromium: the dashboard server in process over a Kite stage's named
 * tokens (the Kite simulator, the gate in real PostgreSQL), read through the same report the CLI
 * prints. PRIMARY logged in; WEBSOCKET1 failed and started the cooldown; OPTIONCHAIN1 never.
 */
(available ? describe : describe.skip)('the broker token card in Chromium', () => {
  let db: TestDatabase;
  let simulator: KiteSimulator;
  let dir: string;
  let ctx: OpsContext & { readonly pool: { end(): Promise<void> } };
  let server: DashboardServer;
  let url: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase();
    simulator = await startTestSimulator();
    dir = mkdtempSync(path.join(os.tmpdir(), 'token-card-'));
    const secretDir = path.join(dir, 'secrets');
    await new LocalTokenSecretStore(secretDir, 'kite').writeApp('PRIMARY', {
      api_key: SIM_CREDENTIALS.apiKey,
      api_secret: SIM_CREDENTIALS.apiSecret,
    });
    const base = localOpsContext(localTokenStack(db, dir, {}), 'dashboard');
    const tokens: TokenAccess = {
      config: stageTokensFor('kite', ['PRIMARY', 'WEBSOCKET1', 'OPTIONCHAIN1']),
      login: tokenLogin('kite', {
        stage: 'local',
        secrets: { kind: 'local', dir: secretDir },
        apiRoot: simulator.apiRoot,
        loginUrl: simulator.loginUrl,
        timeoutMs: 3000,
      }),
      gate: new PgTokenGate(db.pool, 'local'),
    };
    ctx = { ...base, tokens };
    const regenerate = (name: string, paste: () => Promise<string>) =>
      regenerateTokens(ctx, tokens, {
        requestedBy: 'oncall@desk',
        reason: 'morning tokens',
        names: [name],
        paste,
        say: () => undefined,
      });
    expect(
      (await regenerate('PRIMARY', async () => simulator.control.issueRequestToken())).outcome,
    ).toBe('OK');
    expect((await regenerate('WEBSOCKET1', async () => 'wrongtoken123')).outcome).toBe('COOLDOWN');

    server = buildDashboardServer({
      ctx,
      control: localControl(ctx),
      auth: new LocalTokenAuth(TOKEN, 'oncall@local'),
    });
    url = await server.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${url}/login?token=${TOKEN}`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.pool.end();
    await simulator?.stop();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("shows each token's state, use and expiry in IST, the cooldown with its failing token, and the login link", async () => {
    // Act
    await page.goto(`${url}/#tokens`);
    const rows = page.getByTestId('tokens');
    await rows
      .getByRole('cell', { name: 'OPTIONCHAIN1', exact: true })
      .waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'tokens.png'), fullPage: true });

    // Assert: one row per token, as `tradeops token status` reports them.
    const cells = await rows
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')),
      );
    expect(cells.map(([name, state, use]) => [name, state, use])).toEqual([
      ['PRIMARY', 'VALID', 'trades, streams'],
      ['WEBSOCKET1', 'COOLDOWN', '-'],
      ['OPTIONCHAIN1', 'MISSING', '-'],
    ]);
    expect(cells[0]?.[3]).toBe(SIM_CREDENTIALS.userId);
    expect(cells[0]?.[4]).toMatch(/^\d{4}-\d\d-\d\d 06:00:00 IST$/);
    expect(cells[0]?.[5]).toContain(`Kite profile ${SIM_CREDENTIALS.userId}`);
    await page
      .getByTestId('token-cooldown')
      .filter({ hasText: /^COOLDOWN until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d IST$/ })
      .waitFor();
    expect(await page.locator('#t-failure').textContent()).toMatch(
      /^WEBSOCKET1 failed: Kite refused the request_token: TokenException/,
    );
    expect(await page.locator('#t-command').textContent()).toBe(
      'tradeops token login local --broker kite --all-invalid',
    );
    const link = rows.getByRole('link', { name: 'log in OPTIONCHAIN1' });
    const href = new URL((await link.getAttribute('href')) ?? '');
    expect(`${href.origin}${href.pathname}`).toBe(new URL(simulator.loginUrl).toString());
    expect(href.searchParams.get('api_key')).toBe(SIM_CREDENTIALS.apiKey);
    // Never a secret or a token on the page.
    const html = await page.content();
    expect(html).not.toContain(SIM_CREDENTIALS.apiSecret);
    const stored = await new LocalTokenSecretStore(path.join(dir, 'secrets'), 'kite').readToken(
      'PRIMARY',
    );
    expect(html).not.toContain(stored?.token.access_token ?? 'no token stored');
  }, 30_000);

  it('shows every time on the card in IST, with UTC on hover', async () => {
    const times = await page
      .locator('#page-tokens time')
      .evaluateAll((ts) =>
        ts.map((t) => ({ text: t.textContent ?? '', title: t.getAttribute('title') ?? '' })),
      );

    expect(times.length).toBeGreaterThanOrEqual(3);
    for (const t of times) {
      const ist = Date.parse(`${t.text.replace(' IST', '').replace(' ', 'T')}Z`);
      const utc = Date.parse(`${t.title.replace(' UTC', '').replace(' ', 'T')}Z`);
      expect({ t, offsetMinutes: (ist - utc) / 60_000 }).toEqual({ t, offsetMinutes: 330 });
    }
  });
});
