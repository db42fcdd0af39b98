import { readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { type LocalUpstox, startLocalUpstox } from '../../scripts/local/local-upstox';
import { MarketCalendar } from '../../services/common/market-calendar';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { parseAuthorizationCode, upstoxLoginLink } from '../../services/common/upstox/upstox-login';
import { brokerLogout } from '../../services/ops/checks/evening-checks';
import { brokerTokens } from '../../services/ops/checks/morning-checks';
import type { ChecklistContext } from '../../services/ops/checks/support';
import { localOpsContext } from '../../services/ops/platform/local/local-context';
import { tokenCheck } from '../../services/ops/procedures/token-check';
import { tokenAuditRows, useLocalBrokerStack } from '../support/local-token-stack';
import { tradeopsInProcess as tradeops } from '../support/tradeops';

/**
 * The Upstox runbook's token operations end to end: the local stack's Upstox (six named tokens,
 * each its own API app, logged in at start through the registry's login), the real CLI in process
 * against the stack it publishes, real PostgreSQL for the cooldown gate and the audit chain.
 */
const NAMES = ['PRIMARY', 'WEBSOCKET1', 'WEBSOCKET2', 'WEBSOCKET3', 'OPTIONCHAIN1', 'OPTIONCHAIN2'];

const t = useLocalBrokerStack('upstox', NAMES, (dir) => startLocalUpstox(dir, 0));
let upstox: LocalUpstox;
let store: LocalTokenSecretStore<'upstox'>;

/** A person at the authorize dialog of `name`'s own app: the code its redirect carries. */
async function codeFor(name: string): Promise<string> {
  const app = await store.readApp(name);
  const res = await fetch(upstoxLoginLink(app, 'person', upstox.simulator.dialogUrl), {
    redirect: 'manual',
  });
  return parseAuthorizationCode(res.headers.get('location') ?? '', 'person');
}

/** WEBSOCKET2 past its expiry, WEBSOCKET3 never stored, OPTIONCHAIN1 revoked at Upstox. */
async function threeInvalid() {
  const held = (await store.readToken('WEBSOCKET2'))?.token;
  if (!held) throw new Error('WEBSOCKET2 not logged in');
  await store.writeToken('WEBSOCKET2', { ...held, expires_at: '2020-01-01T00:00:00.000Z' });
  unlinkSync(path.join(upstox.secretDir, 'WEBSOCKET3.json'));
  await store.writeToken('OPTIONCHAIN1', { ...held, access_token: 'revoked-at-upstox' });
}

const auditRows = async () =>
  (await tokenAuditRows(t.db.pool, t.auditFrom)).map((r) => r.split(' ').slice(0, 3).join(' '));

beforeEach(() => {
  upstox = t.live;
  store = new LocalTokenSecretStore(upstox.secretDir, 'upstox');
});

describe('tradeops token on an Upstox stack with six named tokens', () => {
  it('says FAST EXIT when the local stack logged every token in through its own app', async () => {
    // Act
    const status = await tradeops('token', 'status', 'local');

    // Assert
    expect(status.code).toBe(0);
    for (const name of NAMES)
      expect(status.out).toMatch(
        new RegExp(
          `${name}\\s+VALID\\s+\\S+\\s+SIM001\\s+\\S+\\s+\\d{4}-\\d\\d-\\d\\d 03:30:00 IST`,
        ),
      );
    expect(status.out).toContain('FAST EXIT: all 6 tokens valid');
    expect(status.out).toContain('Upstox profile SIM001');
  });

  it('shows VALID, EXPIRED and MISSING with the command that regenerates them', async () => {
    // Arrange
    await threeInvalid();

    // Act
    const status = await tradeops('token', 'status', 'local');

    // Assert
    expect(status.code).toBe(1);
    expect(status.out).toMatch(/WEBSOCKET2\s+EXPIRED .*past its expiry/);
    expect(status.out).toMatch(/WEBSOCKET3\s+MISSING/);
    expect(status.out).toMatch(
      /OPTIONCHAIN1\s+EXPIRED .*Upstox refuses it: UDAPI100050: Invalid token used to access API/,
    );
    expect(status.out).toMatch(/OPTIONCHAIN2\s+VALID/);
    expect(status.out).toContain(
      'Regenerate the invalid ones: tradeops token login local --broker upstox --all-invalid',
    );
    expect(status.out).not.toContain('FAST EXIT');
  });

  it('regenerates only the invalid ones, cools down after a failure, refuses until it ends, then resumes with the rest', async () => {
    // Arrange
    await threeInvalid();
    const good = await codeFor('WEBSOCKET2');

    // Act: the second code is one Upstox never issued.
    const failed = await tradeops(
      ...['token', 'login', 'local', '--broker', 'upstox', '--all-invalid'],
      ...['--request-token', good, 'notacode1234'],
    );
    const refused = await tradeops(
      ...['token', 'login', 'local', '--broker', 'upstox', '--all-invalid'],
      ...['--request-token', await codeFor('WEBSOCKET3')],
    );
    const during = await tradeops('token', 'status', 'local');
    await t.db.pool.query(
      `UPDATE broker_token_gate SET cooldown_until = clock_timestamp() - interval '1 second'`,
    );
    const resumed = await tradeops(
      ...['token', 'login', 'local', '--broker', 'upstox', '--all-invalid'],
      ...['--request-token', await codeFor('WEBSOCKET3'), await codeFor('OPTIONCHAIN1')],
    );
    const after = await tradeops('token', 'status', 'local');

    // Assert: the runbook's messages, one exchange a token, the 11-minute cooldown.
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('Generating 3 tokens: [WEBSOCKET2, WEBSOCKET3, OPTIONCHAIN1]');
    expect(failed.out).toMatch(
      /token WEBSOCKET2 stored for SIM001 .*✓ VALID until .* 03:30:00 IST/,
    );
    expect(failed.err).toMatch(
      /WEBSOCKET3: ✗ FAILED: Upstox refused the authorization code: UDAPI100016: Invalid Auth code\nBROKER COOLDOWN ACTIVE\nLast failed API: WEBSOCKET3\nCooldown until: .* IST/,
    );
    expect(failed.err).not.toContain('OPTIONCHAIN1: log in at');
    const until = Date.parse(
      `${/Cooldown until: (\S+ \S+) IST/.exec(failed.err)?.[1]?.replace(' ', 'T')}+05:30`,
    );
    expect(until - Date.now()).toBeGreaterThan(10 * 60_000);
    expect(until - Date.now()).toBeLessThanOrEqual(11 * 60_000);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^BROKER COOLDOWN ACTIVE\nLast failed API: WEBSOCKET3/);
    expect(during.out).toMatch(/WEBSOCKET3\s+COOLDOWN/);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain(
      'Already valid, not regenerated: [PRIMARY, WEBSOCKET1, WEBSOCKET2, OPTIONCHAIN2]',
    );
    expect(resumed.out).toContain('Generating 2 tokens: [WEBSOCKET3, OPTIONCHAIN1]');
    expect(after.out).toContain('FAST EXIT: all 6 tokens valid');
    expect(await auditRows()).toEqual([
      'token-login OK WEBSOCKET2',
      'token-login FAILED WEBSOCKET3',
      'token-cooldown OK WEBSOCKET3',
      'token-login REFUSED WEBSOCKET3',
      'token-login OK WEBSOCKET3',
      'token-login OK OPTIONCHAIN1',
    ]);
  }, 60_000);
});

describe('the checks of an Upstox stage', () => {
  /** Yesterday in IST: its close is past, and a token valid now is valid beyond it. */
  const yesterdayIst = () =>
    new Date(Date.now() + 330 * 60_000 - 86_400_000).toISOString().slice(0, 10);

  it('pages (P2, the page topic) with the exact command when any token is invalid', async () => {
    // Arrange: only OPTIONCHAIN2, neither traded nor streamed with, is invalid.
    unlinkSync(path.join(upstox.secretDir, 'OPTIONCHAIN2.json'));
    const ctx = localOpsContext(t.stack, 'scheduler');

    // Act
    const report = await tokenCheck(ctx, {
      date: yesterdayIst(),
      force: true,
      triggeredBy: 'test',
    }).finally(() => ctx.pool.end());

    // Assert
    expect(report.status).toBe('FAIL');
    const pages = readFileSync(path.join(t.dir, 'notifications.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { topic: string; subject: string; message: string });
    expect(pages).toHaveLength(1);
    expect(pages[0]?.topic).toBe('page');
    expect(pages[0]?.subject).toContain('[token-check] local');
    expect(pages[0]?.message).toContain('OPTIONCHAIN2 MISSING');
    expect(pages[0]?.message).toContain(
      'run: tradeops token login local --broker upstox --all-invalid',
    );
  });

  it("fails the morning checklist's CRITICAL broker-tokens check (NOT READY) while a streamed token is invalid, and only warns for the others", async () => {
    // Arrange
    const ctx = localOpsContext(t.stack, 'scheduler');
    const checklist = (): ChecklistContext =>
      ({ ...ctx, day: yesterdayIst(), calendar: new MarketCalendar() }) as ChecklistContext;
    const check = () => brokerTokens.run(checklist(), new AbortController().signal);
    try {
      unlinkSync(path.join(upstox.secretDir, 'OPTIONCHAIN2.json'));
      const onlyUnused = await check();
      unlinkSync(path.join(upstox.secretDir, 'WEBSOCKET1.json'));

      // Act
      const streamed = await check();

      // Assert
      expect(onlyUnused.status).toBe('WARN');
      expect(onlyUnused.detail).toContain('OPTIONCHAIN2 MISSING');
      expect(streamed.status).toBe('FAIL');
      expect(streamed.detail).toContain('WEBSOCKET1 MISSING');
      expect(streamed.detail).toContain(
        'run: tradeops token login local --broker upstox --all-invalid',
      );
    } finally {
      await ctx.pool.end();
    }
  });

  it('logs every session out in the evening: Upstox refuses them afterwards', async () => {
    // Arrange
    const ctx = localOpsContext(t.stack, 'scheduler');
    try {
      const checklist = { ...ctx, day: yesterdayIst(), calendar: new MarketCalendar() };

      // Act
      const logout = await brokerLogout.run(
        checklist as ChecklistContext,
        new AbortController().signal,
      );
      const status = await tradeops('token', 'status', 'local');

      // Assert
      expect(logout).toMatchObject({
        status: 'PASS',
        detail: `upstox logged out: ${NAMES.join(', ')}`,
      });
      expect(status.code).toBe(1);
      for (const name of NAMES)
        expect(status.out).toMatch(new RegExp(`${name}\\s+EXPIRED .*Upstox refuses it`));
    } finally {
      await ctx.pool.end();
    }
  });
});
