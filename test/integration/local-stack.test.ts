import { appendFileSync } from 'node:fs';
import path from 'node:path';
import type { SpawnedLocalStack } from '../../scripts/local/spawn-stack';
import type { ProcedureResult } from '../../services/ops/steps/runner';
import { CLEAN_KILL_STEPS } from '../support/kill-steps';
import {
  buy as buyPaper,
  spawnQuietLocalStack,
  stopBelow,
  tradingApi,
} from '../support/local-stack';
import { eventually } from '../trading/harness';

/**
 * The whole local stack as `npm start` runs it (PostgreSQL, the fleet, the trading service), driven
 * by the `tradeops` CLI as an operator would: kill with positions open, then resume.
 */
describe('the local stack, end to end, through the CLI', () => {
  let stack: SpawnedLocalStack;
  const tradeops = (...args: string[]) => stack.tradeops(...args);

  const api = (method: 'GET' | 'POST', urlPath: string) => tradingApi(stack, method, urlPath);
  const positions = async () =>
    (
      (await api('GET', '/positions')).body.positions as Array<{ symbol: string; quantity: number }>
    ).filter((p) => p.quantity !== 0);
  const state = async () => (await api('GET', '/state')).body.state;
  // Stops about 2% under the reference price: inside the per-trade risk limit.
  const buy = (symbol: string, stopPrice: number) => buyPaper(stack, symbol, stopPrice);

  beforeAll(async () => {
    stack = await spawnQuietLocalStack();
  }, 120_000);

  afterAll(async () => {
    // Ctrl-C stops everything cleanly and the stack forgets itself.
    if (stack) expect(await stack.stop()).toEqual({ code: 0, leftStackInfo: false });
  }, 150_000);

  it('starts HALTED (flag "false", as a deployed stage), says how to enable, and drills seed 002 with flag set/get', async () => {
    expect(stack.output()).toContain('Trading is HALTED (flag "false")');
    expect(stack.output()).toContain(
      "npx tradeops resume local --reason 'start paper trading' --yes",
    );
    expect(stack.output()).toContain(`Kill flag         ${stack.info.parameterFile}`);
    expect(await state()).toBe('HALTED');

    const enable = await tradeops('flag', 'set', 'local', 'true', '--reason', 'drill', '--yes');
    expect(enable.code).toBe(2);
    expect(enable.stderr).toContain('npx tradeops resume local --reason');
    expect(await state()).toBe('HALTED');

    const start = await tradeops('resume', 'local', '--reason', 'start paper trading', '--yes');
    expect(start.code).toBe(0);
    await eventually(async () => (await state()) === 'ACTIVE', 10_000);

    const halt = await tradeops(
      'flag',
      'set',
      'local',
      'false',
      '--reason',
      'seed 002 drill',
      '--yes',
      '--as',
      'oncall@desk',
    );
    expect(halt.code).toBe(0);
    expect(halt.stdout).toMatch(/ok\s+audit\s+\d+ ms\s+control_audit row \d+/);
    await eventually(async () => (await state()) === 'HALTED', 10_000);
    const get = await tradeops('flag', 'get', 'local');
    expect(get.stdout.split('\n')).toEqual([
      expect.stringMatching(
        /^\/algo-trading\/local\/trading_enabled = "false" \(version \d+, set \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} IST by oncall@desk\)$/,
      ),
      'trading HALTED',
      `stored in ${stack.info.parameterFile}`,
      '',
    ]);

    const back = await tradeops('resume', 'local', '--reason', 'drill over', '--yes');
    expect(back.code).toBe(0);
    await eventually(async () => (await state()) === 'ACTIVE', 10_000);
  }, 120_000);

  it('runs the runbook as commands: health-check, checklists, backup, snapshots, logs; bad input exits 2', async () => {
    const health = await tradeops('health-check', 'local', '--verbose');
    expect(health.code).toBe(0);
    expect(health.stdout).toMatch(/PASS\s+CRITICAL broker-tokens/);
    expect(health.stdout.trim().split('\n').at(-1)).toBe('READY');

    const holiday = await tradeops(
      'checklist',
      'evening',
      'local',
      '--date',
      '2026-11-24',
      '--json',
    );
    expect(holiday.code).toBe(0);
    expect(JSON.parse(holiday.stdout)).toMatchObject({ status: 'SKIPPED', results: [] });

    const backup = await tradeops('backup', 'local');
    expect(backup.code).toBe(0);
    const snapshots = await tradeops('snapshots', 'local', '--json');
    const ids = (JSON.parse(snapshots.stdout) as Array<{ id: string; status: string }>).map((s) => [
      s.id,
      s.status,
    ]);
    expect(ids[0]?.[0]).toMatch(/^algo-trading-local-backup-\d{8}$/);
    expect(ids[0]?.[1]).toBe('available');

    const logFile = path.join(stack.info.logDir, 'algo-trading-local-trading.log');
    const line = (msg: string, minutesAgo: number) =>
      `${JSON.stringify({ level: 'ERROR', time: new Date(Date.now() - minutesAgo * 60_000).toISOString(), msg })}\n`;
    appendFileSync(
      logFile,
      line('drill: broker timeout (old)', 90) + line('drill: broker timeout', 1),
    );
    const logs = await tradeops('logs', 'local', '--since', '15m', '--filter', 'drill:');
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/ IST algo-trading-local-trading \{.*"drill: broker timeout"\}$/),
    ]);

    const bad: Array<[string[], RegExp]> = [
      [['checklist', 'evening', 'local', '--date', '2026-13-01'], /date must be a real date/],
      [
        ['checklist', 'lunch', 'local'],
        /'lunch' is invalid for argument 'name'. Allowed choices are morning/,
      ],
      [
        ['scale', 'local', '--count', '-1', '--reason', 'drill', '--yes'],
        /count must be 0 or more/,
      ],
      [
        ['scale', 'local', '--count', 'two', '--reason', 'drill', '--yes'],
        /expected a whole number, got "two"/,
      ],
      [
        ['restore', 'local', '--snapshot', 'nope', '--reason', 'drill', '--yes'],
        /snapshot nope does not exist/,
      ],
      [['rollback', 'local', '--reason', 'drill', '--yes'], /no revisions to roll back to/],
      [['logs', 'local', '--since', 'yesterday'], /--since takes a duration/],
    ];
    for (const [args, message] of bad) {
      const r = await tradeops(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
  }, 120_000);

  it('kill flattens the open paper positions, halts entries and audits; resume trades again', async () => {
    expect(await state()).toBe('ACTIVE');
    expect(await buy('INFY', stopBelow('INFY'))).toMatchObject({ status: 201 });
    expect(await buy('TCS', stopBelow('TCS'))).toMatchObject({ status: 201 });
    await eventually(async () => (await positions()).length === 2, 10_000);

    const kill = await tradeops(
      'kill',
      'local',
      '--reason',
      'drill',
      '--yes',
      '--json',
      '--as',
      'oncall@desk',
    );

    expect(kill.code).toBe(0);
    const result = JSON.parse(kill.stdout) as ProcedureResult;
    expect(result).toMatchObject({
      procedure: 'emergency-stop',
      outcome: 'OK',
      requestedBy: 'oncall@desk',
    });
    expect(result.steps.map((s) => [s.name, s.status])).toEqual(CLEAN_KILL_STEPS);
    // Flat when the command returns, not eventually.
    expect(await positions()).toEqual([]);
    expect(await state()).toBe('HALTED');
    expect(await buy('INFY', stopBelow('INFY'))).toMatchObject({
      status: 422,
      body: { reason: 'TRADING_HALTED' },
    });

    const audit = await tradeops('audit', 'verify', 'local', '--json');
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.stdout)).toMatchObject({ ok: true });

    const resume = await tradeops(
      'resume',
      'local',
      '--reason',
      'drill over',
      '--yes',
      '--json',
      '--as',
      'lead@desk',
    );

    expect(resume.code).toBe(0);
    expect(JSON.parse(resume.stdout)).toMatchObject({ procedure: 'resume', outcome: 'OK' });
    await eventually(async () => (await state()) === 'ACTIVE', 10_000);
    expect(await buy('INFY', stopBelow('INFY'))).toMatchObject({ status: 201 });
  }, 120_000);

  it('refuses bad usage with exit 2 and leaves trading as it was', async () => {
    const missingReason = await tradeops('kill', 'local', '--yes');
    const badStage = await tradeops('kill', 'qa', '--reason', 'drill', '--yes');

    expect(missingReason.code).toBe(2);
    expect(missingReason.stderr).toContain("required option '--reason <text>' not specified");
    expect(badStage.code).toBe(2);
    expect(badStage.stderr).toContain('Allowed choices are dev, staging, prod, local');
    expect(await state()).toBe('ACTIVE');
  }, 60_000);
});
