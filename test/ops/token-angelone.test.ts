import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type LocalAngelOne, startLocalAngelOne } from '../../scripts/local/local-angelone';
import type { CliIo } from '../../scripts/tradeops/cli-support';
import { run } from '../../scripts/tradeops/main';
import { MarketCalendar } from '../../services/common/market-calendar';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { brokerLogout } from '../../services/ops/checks/evening-checks';
import type { ChecklistContext } from '../../services/ops/checks/support';
import { localOpsContext } from '../../services/ops/platform/local/local-context';
import { tokenCheck } from '../../services/ops/procedures/token-check';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * Angel One's unattended token operations end to end: the local stack's Angel One (its session
 * logged in at start from the TOTP seed), the real CLI in process, the token check's renewal,
 * the evening logout, against the Angel One simulator and real PostgreSQL.
 */
let db: TestDatabase;
let dir: string;
let angel: LocalAngelOne;
let store: LocalTokenSecretStore<'angelone'>;
let auditFrom = 0;
const savedDir = process.env.LOCAL_STACK_DIR;

const stack = () => ({
  databaseUrl: db.url,
  controlToken: 't',
  parameterFile: path.join(dir, 'parameters.json'),
  objectStoreDir: path.join(dir, 'objects'),
  logDir: path.join(dir, 'logs'),
  fleetUrl: 'http://127.0.0.1:1',
  brokerTokens: ['PRIMARY'],
  broker: 'angelone' as const,
  angelone: angel.endpoints,
});

async function tradeops(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdin: { isTTY: false } as NodeJS.ReadStream,
  };
  const code = await run(['node', 'tradeops', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const held = async () => {
  const stored = (await store.readToken('PRIMARY'))?.token;
  if (!stored) throw new Error('no PRIMARY session stored');
  return stored;
};

const auditRows = async () =>
  (
    await db.pool.query<{ action: string; outcome: string; actor: string }>(
      `SELECT action, outcome, actor FROM control_audit
        WHERE action LIKE 'token-%' AND id > $1 ORDER BY id`,
      [auditFrom],
    )
  ).rows.map((r) => `${r.action} ${r.outcome} ${r.actor}`);

/** The IST date `days` from today. */
const istDate = (days: number) =>
  new Date(Date.now() + 330 * 60_000 + days * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.close();
  if (savedDir === undefined) delete process.env.LOCAL_STACK_DIR;
  else process.env.LOCAL_STACK_DIR = savedDir;
});

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'token-angelone-'));
  angel = await startLocalAngelOne(dir, 0);
  store = new LocalTokenSecretStore(angel.secretDir, 'angelone');
  process.env.LOCAL_STACK_DIR = dir;
  writeFileSync(
    path.join(dir, 'stack.json'),
    JSON.stringify({
      ...stack(),
      pid: process.pid,
      startedAt: new Date().toISOString(),
      tradingUrl: 'http://127.0.0.1:1',
      dashboardUrl: 'http://127.0.0.1:1',
      dashboardToken: 't',
    }),
  );
  await db.pool.query('DELETE FROM broker_token_gate');
  auditFrom = Number(
    (await db.pool.query<{ id: string | null }>('SELECT max(id) AS id FROM control_audit')).rows[0]
      ?.id ?? 0,
  );
});

afterEach(async () => {
  await angel.simulator.stop();
  rmSync(dir, { recursive: true, force: true });
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
    const ctx = localOpsContext(stack(), 'scheduler');

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
    const ctx = localOpsContext(stack(), 'scheduler');

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
    const ctx = localOpsContext(stack(), 'scheduler');
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
