import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { stageTokensFor } from '../../contract/broker-tokens';
import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import { PgTokenGate } from '../../services/common/tokens/token-gate';
import { tokenLogin } from '../../services/common/tokens/token-login-registry';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { localOpsContext } from '../../services/ops/platform/local/local-context';
import type { OpsContext, TokenAccess } from '../../services/ops/platform/ports';
import {
  type RegenerateRequest,
  regenerateTokens,
  tokenReport,
} from '../../services/ops/steps/token-generation';
import { SIM_CREDENTIALS, startTestSimulator } from '../sim/kite-sim-support';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { localTokenStack } from '../support/local-token-stack';
import { PROJECT_ROOT } from '../support/processes';

const NAMES = ['PRIMARY', 'WEBSOCKET1', 'WEBSOCKET2'];

let db: TestDatabase;
let simulator: KiteSimulator;
let dir: string;
let store: LocalTokenSecretStore<'kite'>;
let ctx: OpsContext & { readonly pool: Pool };
/** The last audit row before the test: each test reads its own rows of the one chain. */
let auditFrom = 0;

function access(cooldownMinutes = 11): TokenAccess {
  return {
    config: { ...stageTokensFor('kite', NAMES), cooldownMinutes },
    login: tokenLogin('kite', {
      stage: 'local',
      secrets: { kind: 'local', dir: path.join(dir, 'secrets') },
      apiRoot: simulator.apiRoot,
      loginUrl: simulator.loginUrl,
      timeoutMs: 3000,
    }),
    gate: new PgTokenGate(db.pool, 'local'),
  };
}

/** A person who pastes a fresh request_token for each login link. */
const person = () => async () => simulator.control.issueRequestToken();

function run(tokens: TokenAccess, overrides: Partial<RegenerateRequest> = {}) {
  const lines: string[] = [];
  const result = regenerateTokens(ctx, tokens, {
    requestedBy: 'oncall@desk',
    reason: 'morning tokens',
    paste: person(),
    say: (line) => lines.push(line),
    ...overrides,
  });
  return result.then((r) => ({ ...r, lines }));
}

async function loginNow(name: string) {
  const r = await run(access(), { names: [name] });
  expect(r.outcome).toBe('OK');
}

const auditRows = async () =>
  (
    await db.pool.query<{ action: string; outcome: string; after_state: { token?: string } }>(
      `SELECT action, outcome, after_state FROM control_audit
        WHERE action LIKE 'token-%' AND id > $1 ORDER BY id`,
      [auditFrom],
    )
  ).rows.map((r) => `${r.action} ${r.outcome} ${r.after_state.token ?? ''}`.trim());

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

beforeEach(async () => {
  simulator = await startTestSimulator();
  dir = mkdtempSync(path.join(os.tmpdir(), 'token-regen-'));
  store = new LocalTokenSecretStore(path.join(dir, 'secrets'), 'kite');
  await store.writeApp('PRIMARY', {
    api_key: SIM_CREDENTIALS.apiKey,
    api_secret: SIM_CREDENTIALS.apiSecret,
  });
  await db.pool.query('DELETE FROM broker_token_gate');
  auditFrom = Number(
    (await db.pool.query<{ id: string | null }>('SELECT max(id) AS id FROM control_audit')).rows[0]
      ?.id ?? 0,
  );
  ctx = localOpsContext(localTokenStack(db, dir, {}), 'cli');
});

afterEach(async () => {
  await ctx.pool.end();
  await simulator.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('regenerateTokens', () => {
  it('exits fast when every token is valid, without asking the broker for a login', async () => {
    // Arrange
    for (const name of NAMES) await loginNow(name);
    const paste = jest.fn(person());

    // Act
    const r = await run(access(), { paste });

    // Assert
    expect(r.outcome).toBe('FAST_EXIT');
    expect(r.lines).toEqual(['FAST EXIT: all 3 tokens valid']);
    expect(paste).not.toHaveBeenCalled();
  });

  it('generates only the invalid tokens, with the runbook message, and audits each', async () => {
    // Arrange
    await loginNow('PRIMARY');

    // Act
    const r = await run(access());

    // Assert
    expect(r.outcome).toBe('OK');
    expect(r.lines).toContain('Generating 2 tokens: [WEBSOCKET1, WEBSOCKET2]');
    expect(r.generated).toEqual(['WEBSOCKET1', 'WEBSOCKET2']);
    const report = await tokenReport(ctx, access());
    expect(report.rows.map((row) => `${row.name} ${row.shown} ${row.proven}`)).toEqual([
      'PRIMARY VALID true',
      'WEBSOCKET1 VALID true',
      'WEBSOCKET2 VALID true',
    ]);
    expect(await auditRows()).toEqual([
      'token-login OK PRIMARY',
      'token-login OK WEBSOCKET1',
      'token-login OK WEBSOCKET2',
    ]);
  });

  it('resumes an interrupted run without regenerating the tokens it already made', async () => {
    // Arrange: the person walks away after the first of three logins.
    let pastes = 0;
    const interrupted = await run(access(), {
      paste: async () => {
        pastes += 1;
        if (pastes === 2) throw new Error('interrupted (Ctrl-C)');
        return simulator.control.issueRequestToken();
      },
    }).catch((error: Error) => error);
    expect(interrupted).toBeInstanceOf(Error);

    // Act
    const resumed = await run(access());

    // Assert
    expect(resumed.lines).toContain('Already valid, not regenerated: [PRIMARY]');
    expect(resumed.lines).toContain('Generating 2 tokens: [WEBSOCKET1, WEBSOCKET2]');
    expect(resumed.generated).toEqual(['WEBSOCKET1', 'WEBSOCKET2']);
    expect(await auditRows()).toEqual([
      'token-login OK PRIMARY',
      'token-login OK WEBSOCKET1',
      'token-login OK WEBSOCKET2',
    ]);
  });

  it('starts the cooldown on a failed exchange, stops there, and refuses until it ends', async () => {
    // Arrange
    await loginNow('PRIMARY');
    const paste = jest.fn(async () => 'wrongtoken123');

    // Act
    const failed = await run(access(), { paste });
    const again = await run(access(), { paste });

    // Assert: one exchange only, the cooldown in the runbook's words, COOLDOWN on the status.
    expect(failed.outcome).toBe('COOLDOWN');
    expect(paste).toHaveBeenCalledTimes(1);
    expect(failed.lines.join('\n')).toMatch(
      /WEBSOCKET1: ✗ FAILED: Kite refused the request_token: TokenException[\s\S]*BROKER COOLDOWN ACTIVE\nLast failed API: WEBSOCKET1\nCooldown until: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d IST/,
    );
    const until = failed.cooldown?.until ?? 0;
    expect(until - Date.now()).toBeGreaterThan(10 * 60_000);
    expect(until - Date.now()).toBeLessThanOrEqual(11 * 60_000);
    expect(again.outcome).toBe('COOLDOWN');
    expect(again.lines[0]).toBe('BROKER COOLDOWN ACTIVE');
    const report = await tokenReport(ctx, access());
    expect(report.rows.map((row) => row.shown)).toEqual(['VALID', 'COOLDOWN', 'MISSING']);
    expect(report.command).toBe('tradeops token login local --broker kite --all-invalid');
    expect(await auditRows()).toEqual([
      'token-login OK PRIMARY',
      'token-login FAILED WEBSOCKET1',
      'token-cooldown OK WEBSOCKET1',
      'token-login REFUSED WEBSOCKET1',
    ]);
  });

  it('lets a generation through again once the cooldown has ended', async () => {
    // Arrange: a one-minute cooldown, moved into the past as the clock would.
    await run(access(1), { names: ['PRIMARY'], paste: async () => 'wrongtoken123' });
    await db.pool.query(
      `UPDATE broker_token_gate SET cooldown_until = clock_timestamp() - interval '1 second'`,
    );

    // Act
    const r = await run(access(1), { names: ['PRIMARY'] });

    // Assert
    expect(r.outcome).toBe('OK');
  });

  it('starts no cooldown for a paste that is not a code', async () => {
    const r = await run(access(), { names: ['PRIMARY'], paste: async () => 'not a token!' });

    expect(r.outcome).toBe('BAD_INPUT');
    expect(await access().gate?.state('kite')).toEqual({});
  });
});

describe('PgTokenGate', () => {
  it('grants one claim of many made at once from separate connections', async () => {
    // Arrange: each claimant its own pool, as separate machines would be.
    const pools = Array.from({ length: 6 }, () => new Pool({ connectionString: db.url, max: 1 }));
    try {
      // Act
      const claims = await Promise.all(
        pools.map((pool, i) =>
          new PgTokenGate(pool, 'local').claim('upstox', 'WEBSOCKET2', `op${i}`),
        ),
      );

      // Assert
      expect(claims.filter((c) => c.granted)).toHaveLength(1);
      for (const c of claims.filter((x) => !x.granted))
        expect(c.granted ? undefined : c.state.busy?.token).toBe('WEBSOCKET2');
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});

describe('tradeops token login (two processes at once)', () => {
  /** What `npm start` would publish, pointing at this test's database and simulator. */
  function writeStackInfo(stackDir: string) {
    writeFileSync(
      path.join(stackDir, 'stack.json'),
      JSON.stringify({
        pid: process.pid,
        startedAt: new Date().toISOString(),
        databaseUrl: db.url,
        controlToken: 't',
        parameterFile: path.join(stackDir, 'parameters.json'),
        objectStoreDir: path.join(stackDir, 'objects'),
        logDir: path.join(stackDir, 'logs'),
        fleetUrl: 'http://127.0.0.1:1',
        tradingUrl: 'http://127.0.0.1:1',
        dashboardUrl: 'http://127.0.0.1:1',
        dashboardToken: 't',
        brokerTokens: NAMES,
        broker: 'kite',
        kite: {
          apiRoot: simulator.apiRoot,
          tickerRoot: simulator.tickerRoot,
          loginUrl: simulator.loginUrl,
          secretDir: path.join(dir, 'secrets'),
        },
      }),
    );
  }

  const tradeops = (stackDir: string, ...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(PROJECT_ROOT, 'scripts/tradeops.cjs'), ...args],
        { cwd: PROJECT_ROOT, env: { ...process.env, LOCAL_STACK_DIR: stackDir }, timeout: 60_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
            stdout,
            stderr,
          }),
      );
    });

  it('lets one of two concurrent failing logins reach the broker; the other cannot pass the cooldown', async () => {
    // Arrange
    writeStackInfo(dir);
    const login = (who: string) =>
      tradeops(
        dir,
        'token',
        'login',
        'local',
        '--broker',
        'kite',
        '--name',
        'WEBSOCKET1',
        '--request-token',
        'wrongtoken123',
        '--as',
        who,
      );

    // Act
    const [a, b] = await Promise.all([login('alice@desk'), login('bob@desk')]);

    // Assert: one exchange failed at Kite, the other was refused before reaching it.
    expect([a.code, b.code]).toEqual([1, 1]);
    const failedAtKite = [a, b].filter((r) => /✗ FAILED: Kite refused/.test(r.stderr));
    expect(failedAtKite).toHaveLength(1);
    const refused = [a, b].find((r) => !/✗ FAILED/.test(r.stderr));
    expect(refused?.stderr).toMatch(/BROKER COOLDOWN ACTIVE|another generation is under way/);
    expect((await auditRows()).filter((r) => r.startsWith('token-login FAILED'))).toHaveLength(1);

    const status = await tradeops(dir, 'token', 'status', 'local');
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/WEBSOCKET1\s+COOLDOWN/);
    expect(status.stdout).toMatch(/Last failed API: WEBSOCKET1/);
  }, 90_000);
});
