import { readFile } from 'node:fs/promises';
import { parseOrThrow } from '../../../../contract/validation';
import { messageOf } from '../../../common/errors';
import type { Universe } from '../universe';
import { MovingAverageCrossover } from './moving-average-crossover';
import { OpeningRangeBreakout } from './opening-range-breakout';
import type { Strategy } from './strategy';
import {
  type AlgoIdRules,
  algoIdProblems,
  DEFAULT_STRATEGIES,
  StrategiesFileSchema,
  type StrategyConfig,
} from './strategy-config';

/** Operator orders belong to this pseudo-strategy; it is leased like the others. */
export const MANUAL_STRATEGY_ID = 'manual';

export function createStrategy(config: StrategyConfig): Strategy {
  switch (config.kind) {
    case 'OPENING_RANGE_BREAKOUT':
      return new OpeningRangeBreakout(config);
    case 'MA_CROSSOVER':
      return new MovingAverageCrossover(config);
  }
}

/**
 * Reads and validates the strategies file (or the defaults) against the universe and the stage's
 * algo ID rules; refuses the whole file, naming every offending strategy.
 */
export async function loadStrategyConfigs(
  file: string | undefined,
  universe: Universe,
  rules: AlgoIdRules,
): Promise<StrategyConfig[]> {
  let configs: StrategyConfig[] = [...DEFAULT_STRATEGIES];
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new Error(`Strategies file ${file}: ${messageOf(error)}`);
    }
    configs = parseOrThrow(StrategiesFileSchema, parsed, `strategies file ${file}`);
  }
  const problems = algoIdProblems(configs, rules);
  if (problems.length > 0)
    throw new Error(`Strategies ${file ?? '(built-in)'}: ${problems.join('; ')}`);
  for (const c of configs) {
    const unknown = c.symbols.filter((s) => !universe.get(s));
    if (unknown.length > 0)
      throw new Error(`Strategy ${c.id} trades symbols not in the universe: ${unknown.join(', ')}`);
  }
  return configs.filter((c) => c.enabled);
}
