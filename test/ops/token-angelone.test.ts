import { unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type LocalAngelOne, startLocalAngelOne } from '../../scripts/local/local-angelone';
import { MarketCalendar } from '../../services/common/market-calendar';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { brokerLogout } from '../../services/ops/checks/evening-checks';
import type { ChecklistContext } from '../../services/ops/checks/support';
import { localOpsContext } from '../../services/ops/platform/local/local-context';
import { tokenCheck } from '../../services/ops/procedures/token-check';
import { tokenAuditRows, useLocalBrokerStack } from '../support/local-token-stack';
import { tradeopsInProcess as tradeops } from '../support/tradeops';

/**
 * Angel One's unattended token operations end to end: the local stack's Angel One (its session
 * logged in at start from the TOTP seed), the real CLI in process, the token check's renewal,
 * the evening logout, against the Angel One simulator and real PostgreSQL.
 */
const t = useLocalBrokerStack('angelone', ['PRIMARY'], (dir) => startLocalAngelOne(dir, 0));
let angel: LocalAngelOne;
let store: LocalTokenSecretStore<'angelone'>;

const held = async () => {
  const stored = (await store.readToken('PRIMARY'))?.token;
  if (!stored) throw new Error('no PRIMARY session stored');
  return stored;
};

/** `<action> <outcome> <actor>` of the token audit rows of this test. */
const auditRows = async () =>
  (await tokenAuditRows(t.db.pool, t.auditFrom)).map((r) => {
    const [action, outcome, , actor] = r.split(' ');
    return `${action} ${outcome} ${actor}`;
  });

/** The IST date `days` from today. */
const istDate = (days: number) =>
  new Date(Date.now() + 330 * 60_000 + days * 86_400_000).toISOString().slice(0, 10);

beforeEach(() => {
  angel = t.live;
  store = new LocalTokenSecretStore(angel.secretDir, 'angelone');
});

describe('tradeops token on an Angel One stack', () => {
  it('proves the session the local stack logged in from the TOTP seed', async () => {
    const status = await tradeops('token', 'status', 'local');

    expect(status.code).toBe(0);
    expect(status.out).toMatch(/PRIMARY\s+VALID\s+trades\/streams\s+S1234567 .*Angel One profile/);
    expect(status.out).toContain('FAST EXIT: all 1 tokens valid');
  });

  it('logs in unattended, nothing pasted, renewing the session with its refresh token', async () => {
    // Arrange
    const before = await held();

    // Act
    const login = await tradeops('token', 'login', 'local', '--broker', 'angelone');

    // Assert
    expect(login.code).toBe(0);
    expect(login.out).toContain('Generating 1 token: [PRIMARY]');
    expect(login.out).toMatch(/token PRIMARY stored for S1234567 .*✓ VALID until .* IST/);
    expect(login.err).not.toMatch(/paste|log in at/);
    const after = await held();
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.feed_token).toBeDefined();
    expect(await auditRows()).toEqual([
      `token-login OK ${os.userInfo().username}@${os.hostname()}`,
    ]);
  });

  it('logs in from the TOTP seed when no session is stored', async () => {
    // Arrange: the start's login spent this 30-second step's TOTP (the simulator refuses a reuse).
    unlinkSync(path.join(angel.secretDir, 'PRIMARY.json'));
    const step = Math.floor(Date.now() / 30_000);
    while (Math.floor(Date.now() / 30_000) === step) await new Promise((r) => setTimeout(r, 250));

    // Act
    const login = await tradeops(
      ...['token', 'login', 'local', '--broker', 'angelone', '--all-invalid'],
    );

    // Assert
    expect(login.code).toBe(0);
    expect(login.out).toContain('Generating 1 token: [PRIMARY]');
    expect((await held()).user_id).toBe('S1234567');
  }, 60_000);
});

describe('the checks of an Angel One stage', () => {
  it('renews a session about to expire at the 07:30 token check, through the gate, audited', async () => {
    // Arrange: the session ends in half an hour, before tomorrow's close.
    const before = await held();
    await store.writeToken('PRIMARY', {
      ...before,
      expires_at: new Date(Date.now() + 30 * 60_000).toISOString(),
    });
    const ctx = localOpsContext(t.stack, 'scheduler');

    // Act
    const report = await tokenCheck(ctx, {
      date: istDate(1),
      force: true,
      triggeredBy: 'test',
    }).finally(() => ctx.pool.end());

    // Assert
    const renewal = report.results.find((r) => r.name === 'token-renewal');
    expect(renewal?.status).toBe('PASS');
    expect(renewal?.detail).toContain('Generating 1 token: [PRIMARY]');
    const after = await held();
    expect(after.access_token).not.toBe(before.access_token);
    expect(Date.parse(after.expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    expect(await auditRows()).toEqual(['token-login OK token-check']);
  });

  it('leaves a session with hours to spare alone', async () => {
    const before = await held();
    const ctx = localOpsContext(t.stack, 'scheduler');

    const report = await tokenCheck(ctx, {
      date: istDate(-1),
      force: true,
      triggeredBy: 'test',
    }).finally(() => ctx.pool.end());

    expect(report.results.find((r) => r.name === 'token-renewal')).toMatchObject({
      status: 'PASS',
      detail: 'no angelone token due for renewal',
    });
    expect((await held()).access_token).toBe(before.access_token);
  });

  it('logs the session out in the evening: Angel One refuses it afterwards', async () => {
    const ctx = localOpsContext(t.stack, 'scheduler');
    try {
      const checklist = { ...ctx, day: istDate(-1), calendar: new MarketCalendar() };

      const logout = await brokerLogout.run(
        checklist as ChecklistContext,
        new AbortController().signal,
      );
      const status = await tradeops('token', 'status', 'local');

      expect(logout).toMatchObject({ status: 'PASS', detail: 'angelone logged out: PRIMARY' });
      expect(status.code).toBe(1);
      expect(status.out).toMatch(/PRIMARY\s+EXPIRED .*Angel One refuses it: AG8001/);
    } finally {
      await ctx.pool.end();
    }
  });
});
