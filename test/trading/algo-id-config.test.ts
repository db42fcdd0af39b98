import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { algoIdTagProblem, BROKER_TAG_BUDGETS, GENERIC_ALGO_ID } from '../../contract/algo-id';
import { FlattenRequestSchema, flattenRequestValue } from '../../contract/flatten-request';
import { loadStrategyConfigs } from '../../services/trading/src/strategies/registry';
import { DEFAULT_STRATEGIES } from '../../services/trading/src/strategies/strategy-config';
import { DEFAULT_UNIVERSE, Universe } from '../../services/trading/src/universe';

const universe = new Universe(DEFAULT_UNIVERSE);
const PAPER = { mode: 'PAPER', broker: 'paper', manualAlgoId: GENERIC_ALGO_ID } as const;
const LIVE = { mode: 'LIVE', broker: 'kite', manualAlgoId: GENERIC_ALGO_ID } as const;

function strategiesFile(list: unknown): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'algo-ids-')), 'strategies.json');
  writeFileSync(file, JSON.stringify(list));
  return file;
}

const orb = (overrides: Record<string, unknown> = {}) => ({
  id: 'orb-15',
  kind: 'OPENING_RANGE_BREAKOUT',
  symbols: ['INFY'],
  ...overrides,
});
const ma = (overrides: Record<string, unknown> = {}) => ({
  id: 'ma-cross',
  kind: 'MA_CROSSOVER',
  symbols: ['SBIN'],
  ...overrides,
});

describe('strategy algo IDs', () => {
  it('gives each sample strategy its own algo ID, valid for a LIVE Kite stage', async () => {
    const configs = await loadStrategyConfigs(undefined, universe, LIVE);

    const ids = DEFAULT_STRATEGIES.map((s) => s.algoId);
    // The generic ID is the manual orders' by default.
    expect(ids).not.toContain(GENERIC_ALGO_ID);
    expect(new Set(ids).size).toBe(ids.length);
    expect(configs.map((c) => c.algoId)).toEqual(ids);
  });

  it('refuses an algo ID too long for the broker tag, naming the strategy', async () => {
    const file = strategiesFile([orb({ algoId: '123456789' }), ma({ algoId: '10002' })]);

    await expect(loadStrategyConfigs(file, universe, LIVE)).rejects.toThrow(
      /strategy orb-15: algo ID "123456789" is 9 characters: kite's tag is at most 20, 12 of them the order digest, which leaves 8/,
    );
  });

  it('refuses an algo ID with characters outside the exchange format, naming the strategy', async () => {
    const file = strategiesFile([orb({ algoId: '99999' }), ma({ algoId: 'MA-01' })]);

    await expect(loadStrategyConfigs(file, universe, PAPER)).rejects.toThrow(
      /1\.algoId: strategy ma-cross: expected the exchange's algo ID: 1-18 digits without a leading zero .*\(got "MA-01"\)/,
    );
  });

  it('refuses a leading zero, which would give one ID two spellings', async () => {
    const file = strategiesFile([orb({ algoId: '0999' })]);

    await expect(loadStrategyConfigs(file, universe, PAPER)).rejects.toThrow(
      /strategy orb-15: expected the exchange's algo ID/,
    );
  });

  it('refuses an algo ID shared by two strategies, naming both', async () => {
    const file = strategiesFile([orb({ algoId: '99999' }), ma({ algoId: '99999' })]);

    await expect(loadStrategyConfigs(file, universe, PAPER)).rejects.toThrow(
      /strategy ma-cross: algo ID "99999" is already strategy orb-15's/,
    );
  });

  it("refuses a strategy under the manual orders' algo ID, in any mode", async () => {
    const file = strategiesFile([orb({ algoId: '99999' }), ma({ algoId: '10002' })]);

    await expect(loadStrategyConfigs(file, universe, PAPER)).rejects.toThrow(
      /strategy orb-15: algo ID "99999" is the manual orders' \(MANUAL_ALGO_ID\)/,
    );
    const other = { ...PAPER, manualAlgoId: '77777' };
    expect((await loadStrategyConfigs(file, universe, other)).map((c) => c.algoId)).toEqual([
      '99999',
      '10002',
    ]);
  });

  it('refuses a strategy without an algo ID in a LIVE stage, and accepts it on paper', async () => {
    const file = strategiesFile([orb({ algoId: '10001' }), ma()]);

    await expect(loadStrategyConfigs(file, universe, LIVE)).rejects.toThrow(
      /strategy ma-cross: no algoId; a LIVE stage sends every order under the exchange's algo ID/,
    );
    const paper = await loadStrategyConfigs(file, universe, PAPER);
    expect(paper.map((c) => [c.id, c.algoId])).toEqual([
      ['orb-15', '10001'],
      ['ma-cross', undefined],
    ]);
  });

  it('checks an algo ID against any broker tag for the adapters', () => {
    expect(algoIdTagProblem('12345678', BROKER_TAG_BUDGETS.kite, 'kite')).toBeUndefined();
    expect(algoIdTagProblem('123456789', { tagMax: 20, digestChars: 12 })).toMatch(
      /9 characters: the broker's tag is at most 20/,
    );
    expect(algoIdTagProblem('12_4', { tagMax: 40, digestChars: 12 }, 'upstox')).toMatch(
      /characters upstox refuses/,
    );
  });

  it('carries an algo scope in the flatten request, validated', () => {
    const scoped = { id: 'kill-1', reason: 'drill', requester: 'me', algoId: '99999' };
    expect(FlattenRequestSchema.parse(JSON.parse(flattenRequestValue(scoped)))).toEqual(scoped);
    expect(JSON.parse(flattenRequestValue({ id: 'k', reason: 'r', requester: 'me' }))).toEqual({
      id: 'k',
      reason: 'r',
      requester: 'me',
    });
    expect(FlattenRequestSchema.safeParse({ ...scoped, algoId: 'abc' }).success).toBe(false);
  });
});
