import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson } from '../../services/common/canonical-json';
import {
  DEFAULT_STRATEGIES,
  type StrategyConfig,
} from '../../services/trading/src/strategies/strategy-config';
import { strategyConfigDigest } from '../../services/trading/src/strategies/strategy-digest';
import { type ApiFixture, auth, startApi, stopApi } from './api-fixture';

/** The file an operator edited: orb-15 with a longer range, ma-cross dropped. */
const EDITED: StrategyConfig[] = [
  {
    id: 'orb-15',
    kind: 'OPENING_RANGE_BREAKOUT',
    enabled: true,
    symbols: ['RELIANCE', 'TCS', 'INFY', 'ICICIBANK', 'LT'],
    rangeMinutes: 30,
    riskFraction: 0.5,
  },
];

type Stage = ApiFixture;

async function startStage(mode: 'PAPER' | 'LIVE'): Promise<Stage> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'strategies-')), 'strategies.json');
  writeFileSync(file, JSON.stringify(EDITED));
  return startApi({ flag: 'true', mode, strategiesFile: file });
}

/** A stage for the tests of the enclosing describe: started before them, stopped after them. */
function stageFor(mode: 'PAPER' | 'LIVE'): Stage {
  const stage = {} as Stage;
  beforeAll(async () => {
    Object.assign(stage, await startStage(mode));
  }, 60_000);
  afterAll(async () => {
    if ('app' in stage) await stopApi(stage);
  });
  return stage;
}

const reload = (stage: Stage, body: Record<string, unknown>) =>
  stage.app.inject({ method: 'POST', url: '/strategies/reload', headers: auth, payload: body });

async function reloadRows(stage: Stage) {
  const { rows } = await stage.db.pool.query<{
    actor: string;
    reason: string;
    outcome: string;
    before_state: { strategies: string[]; configSha256: string };
    after_state: Record<string, unknown>;
  }>(
    `SELECT actor, reason, outcome, before_state, after_state FROM control_audit
      WHERE action = 'strategies-reload' ORDER BY id`,
  );
  return rows;
}

const DEFAULT_DIGEST = strategyConfigDigest(DEFAULT_STRATEGIES);
const EDITED_DIGEST = strategyConfigDigest(EDITED);

describe('strategy config digest', () => {
  it('is the sha256 of the canonical JSON: key order and file order do not change it', () => {
    // Arrange
    const [orb, ma] = DEFAULT_STRATEGIES as [StrategyConfig, StrategyConfig];
    const reordered = Object.fromEntries(Object.entries(orb).reverse()) as StrategyConfig;

    // Act / Assert
    expect(strategyConfigDigest([ma, reordered])).toBe(DEFAULT_DIGEST);
    expect(DEFAULT_DIGEST).toMatch(/^[0-9a-f]{64}$/);
    expect(EDITED_DIGEST).not.toBe(DEFAULT_DIGEST);
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});

describe('POST /strategies/reload in a LIVE stage (two-person rule)', () => {
  const live = stageFor('LIVE');

  it('refuses a reload without an approver, audits the refusal and reloads nothing', async () => {
    // Act
    const res = await reload(live, { requestedBy: 'quant@desk', reason: 'longer opening range' });

    // Assert
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      error: 'FORBIDDEN',
      message:
        'strategies not reloaded, the old ones stay: two-person rule: an approver other than quant@desk must approve (approvedBy): a strategy reload in LIVE needs a second person',
    });
    expect(live.h.service.strategyIds()).toEqual(['orb-15', 'ma-cross']);
    expect((await reloadRows(live)).at(-1)).toMatchObject({
      actor: 'quant@desk',
      reason: 'longer opening range',
      outcome: 'REFUSED',
      before_state: { strategies: ['orb-15', 'ma-cross'], configSha256: DEFAULT_DIGEST },
      after_state: { mode: 'LIVE', approvedBy: null },
    });
  });

  it('refuses the requester as their own approver, in other letters too', async () => {
    // Act
    const res = await reload(live, {
      requestedBy: 'quant@desk',
      reason: 'longer opening range',
      approvedBy: ' Quant@Desk',
    });

    // Assert
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toMatch(/two-person rule: an approver other than quant@desk/);
    expect(live.h.service.strategyIds()).toEqual(['orb-15', 'ma-cross']);
    expect((await reloadRows(live)).at(-1)).toMatchObject({
      outcome: 'REFUSED',
      after_state: { approvedBy: ' Quant@Desk' },
    });
  });

  it('refuses a reload without a reason as bad input, naming the field, and writes nothing', async () => {
    // Arrange
    const rowsBefore = (await reloadRows(live)).length;

    // Act
    const res = await reload(live, { requestedBy: 'quant@desk', approvedBy: 'risk@desk' });

    // Assert
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('body: missing required field "reason"');
    expect(live.h.service.strategyIds()).toEqual(['orb-15', 'ma-cross']);
    expect(await reloadRows(live)).toHaveLength(rowsBefore);
  });

  it('reloads with a second person and records the config digests before and after', async () => {
    // Act
    const res = await reload(live, {
      requestedBy: 'quant@desk',
      reason: 'longer opening range',
      approvedBy: 'risk@desk',
    });

    // Assert
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      before: ['orb-15', 'ma-cross'],
      after: ['orb-15'],
      configSha256: { before: DEFAULT_DIGEST, after: EDITED_DIGEST },
      mode: 'LIVE',
      approvedBy: 'risk@desk',
    });
    expect(live.h.service.strategyIds()).toEqual(['orb-15']);
    expect((await reloadRows(live)).at(-1)).toEqual({
      actor: 'quant@desk',
      reason: 'longer opening range',
      outcome: 'OK',
      before_state: { strategies: ['orb-15', 'ma-cross'], configSha256: DEFAULT_DIGEST },
      after_state: {
        strategies: ['orb-15'],
        configSha256: EDITED_DIGEST,
        mode: 'LIVE',
        approvedBy: 'risk@desk',
      },
    });
  });
});

describe('POST /strategies/reload in a PAPER stage', () => {
  const paper = stageFor('PAPER');

  it('reloads on one person, and audits the config digests before and after', async () => {
    // Act
    const res = await reload(paper, { requestedBy: 'quant@desk', reason: 'paper trial' });

    // Assert
    expect(res.statusCode).toBe(200);
    expect(paper.h.service.strategyIds()).toEqual(['orb-15']);
    expect(await reloadRows(paper)).toEqual([
      {
        actor: 'quant@desk',
        reason: 'paper trial',
        outcome: 'OK',
        before_state: { strategies: ['orb-15', 'ma-cross'], configSha256: DEFAULT_DIGEST },
        after_state: {
          strategies: ['orb-15'],
          configSha256: EDITED_DIGEST,
          mode: 'PAPER',
          approvedBy: null,
        },
      },
    ]);
  });
});
