import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { SpawnedLocalStack } from '../../scripts/local/spawn-stack';
import { buy, spawnQuietLocalStack, stopBelow } from '../support/local-stack';

/** Debian's chromium (`.ci/run` installs it as root); `CHROMIUM` points elsewhere. */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(__dirname, '../../test-results/dashboard');
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) {
  throw new Error(`CI needs ${CHROMIUM} for the dashboard's browser tests (.ci/run installs it)`);
}
if (!available) {
  console.warn(
    `${CHROMIUM} not found: the dashboard browser tests are skipped (apt-get install chromium)`,
  );
}

/**
 * The dashboard in real Chromium against the local stack: see a paper position appear, press the
 * kill switch with a reason, watch positions reach zero and the state become HALTED; resume is
 * refused, with the reason shown, while the readiness check fails (a broker token the desk
 * requires is missing).
 */
(available ? describe : describe.skip)('the dashboard in Chromium, against the local stack', () => {
  let stack: SpawnedLocalStack;
  let browser: Browser;
  let page: Page;
  /** What the browser could not load, and its console's errors: both must stay empty. */
  const notFound: string[] = [];
  const consoleErrors: string[] = [];

  const shot = (name: string) =>
    page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  /**
   * Every time on screen reads `YYYY-MM-DD HH:MM:SS IST` (one format, with its zone), and each is
   * a <time> whose tooltip is the same instant in UTC.
   */
  const expectIstTimesOnly = async () => {
    const { text, times } = await page.evaluate(() => ({
      text: document.body.innerText,
      times: Array.from(document.querySelectorAll('time'))
        .filter((t) => t.checkVisibility())
        .map((t) => ({ text: t.textContent ?? '', title: t.title })),
    }));
    // What is left once the one format is taken out holds no instant (a time with seconds);
    // clock times of the rules ("valid past 15:30 IST") are not instants.
    const rest = text.replace(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} IST/g, '');
    expect(rest.match(/.{0,25}\d{1,2}:\d{2}:\d{2}.{0,15}/g) ?? []).toEqual([]);
    expect(times.length).toBeGreaterThan(0);
    for (const t of times) {
      const ist = Date.parse(`${t.text.replace(' IST', '').replace(' ', 'T')}Z`);
      const utc = Date.parse(`${t.title.replace(' UTC', '').replace(' ', 'T')}Z`);
      expect({ t, offsetMinutes: (ist - utc) / 60_000 }).toEqual({ t, offsetMinutes: 330 });
    }
  };
  const open = async (hash: string) => {
    await page.goto(`${stack.info.dashboardUrl}/#${hash}`);
    await page.locator(`section[data-page="${hash}"]`).waitFor({ state: 'visible' });
  };

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Trading on from the start (a new local stack's flag is "false"): the test buys at once.
    stack = await spawnQuietLocalStack({
      LOCAL_BROKER_TOKENS: 'PRIMARY,HISTORICAL_DATA',
      LOCAL_TRADING_ENABLED: 'true',
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // As root (CI), Chromium refuses its sandbox.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('response', (r) => {
      if (r.status() === 404) notFound.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    if (stack) await stack.stop();
  }, 150_000);

  it('signs in with the printed token and shows the status page, its icon and IST times', async () => {
    const favicon = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/favicon'));
    await page.goto(`${stack.info.dashboardUrl}/login?token=${stack.info.dashboardToken}`);
    await page.getByTestId('trading-state').filter({ hasText: 'ACTIVE' }).waitFor();
    await page.locator('#who').filter({ hasText: 'signed in as' }).waitFor();
    await page.locator('#s-flag').filter({ hasText: '"true"' }).waitFor();
    await page.locator('#mode').filter({ hasText: 'PAPER' }).waitFor();
    // The flag card and the market card fill in the same render; "updated" right after it.
    await page.locator('#updated').filter({ hasText: 'updated' }).waitFor();
    await shot('status');

    expect((await favicon).status()).toBe(200);
    await expectIstTimesOnly();
  }, 60_000);

  it('shows a paper position as it appears, then every other page', async () => {
    await open('positions');
    expect((await buy(stack, 'INFY', stopBelow('INFY'))).status).toBe(201);
    await page.getByTestId('positions').getByRole('cell', { name: 'INFY' }).waitFor();
    await shot('positions');
    for (const hash of ['performance', 'health', 'audit']) {
      await open(hash);
      await page.waitForTimeout(2500);
      await shot(hash);
    }
    await page.locator('#a-chain').filter({ hasText: 'Hash chain intact' }).waitFor();
  }, 60_000);

  it('kill switch: asks for a reason, shows each step, positions reach zero, state HALTED', async () => {
    await open('status');
    await page.getByRole('button', { name: 'KILL SWITCH' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    // No reason, no kill.
    await dialog.getByRole('button', { name: 'KILL: flatten all' }).click();
    expect(await dialog.isVisible()).toBe(true);
    await dialog.getByLabel('Reason (audited)').fill('browser drill: runaway strategy');
    await shot('kill-confirm');
    await dialog.getByRole('button', { name: 'KILL: flatten all' }).click();

    await page
      .locator('#result-title')
      .filter({ hasText: 'KILL: OK' })
      .waitFor({ timeout: 30_000 });
    const steps = await page.locator('#result-steps tbody tr td:first-child').allTextContents();
    expect(steps).toEqual(
      expect.arrayContaining(['flag', 'push-halt', 'flatten', 'verify-flat', 'page', 'audit']),
    );
    await page.getByTestId('trading-state').filter({ hasText: 'HALTED' }).waitFor();
    await shot('kill-result');

    await open('positions');
    await page.getByTestId('positions').getByRole('cell', { name: 'no open positions' }).waitFor();
    await open('audit');
    // A second cell: a row of the log, not the one-cell "no control actions yet".
    await page.locator('#a-rows tbody td:nth-child(2)').first().waitFor();
    await expectIstTimesOnly();
  }, 60_000);

  it('resume is refused while the readiness check fails, and says why', async () => {
    await open('status');
    await page.getByRole('button', { name: 'RESUME' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason (audited)').fill('drill over');
    await dialog.getByRole('button', { name: 'Confirm resume' }).click();
    await page
      .locator('#result-title')
      .filter({ hasText: 'RESUME: REFUSED' })
      .waitFor({ timeout: 60_000 });
    const refusals = await page.locator('#result-refusals li').allTextContents();
    expect(refusals.join('\n')).toMatch(/NOT READY.*broker-tokens|broker-tokens.*HISTORICAL_DATA/s);
    await page.getByTestId('trading-state').filter({ hasText: 'HALTED' }).waitFor();
    await shot('resume-refused');
  }, 90_000);

  it('refuses control requests without an identity, and changes nothing', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${stack.info.dashboardUrl}/api/control/resume`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ reason: 'no identity' }),
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: 'Bearer not-the-token-at-all' })).status).toBe(401);
    expect((await post({ cookie: 'dashboard_token=wrong' })).status).toBe(401);
    expect((await fetch(`${stack.info.dashboardUrl}/api/positions`)).status).toBe(401);
    const flag = await (
      await fetch(`${stack.info.dashboardUrl}/api/status`, {
        headers: { authorization: `Bearer ${stack.info.dashboardToken}` },
      })
    ).json();
    expect(flag.flag.value).toBe('false');
  });

  it('loaded every file it asked for: no 404 in the console', () => {
    expect({ notFound, consoleErrors: consoleErrors.filter((e) => /404/.test(e)) }).toEqual({
      notFound: [],
      consoleErrors: [],
    });
  });
});
