import { Argument, type Command } from 'commander';
import { type AnyStage, operatorNames } from '../../contract/names';
import type { OperatorEvent } from '../../contract/operator-events';
import { LocalParameterStore } from '../../services/common/parameters/local-parameter-store';
import type { ParameterStore } from '../../services/common/parameters/parameter-store';
import { SsmParameterStore } from '../../services/common/parameters/ssm-parameter-store';
import { formatIst, isoUtc } from '../../services/common/time';
import { awsClients } from '../../services/ops/platform/aws/ops-functions';
import { readStackInfo } from '../local/stack-info';
import { type CliIo, type CommonOptions, common, requester, stageArgument } from './cli-support';
import { EXIT, UsageError } from './output';

/** Runs an operator event as every mutating command does: confirmed, audited, with fallbacks. */
type Execute = (stage: AnyStage, event: OperatorEvent, options: CommonOptions) => Promise<number>;

/**
 * Where the flag lives: SSM with the operator's own credentials (as `aws ssm get-parameter`
 * would), or the local stack's file, which is named so that it can be found by hand.
 */
function flagStore(stage: AnyStage, region?: string): { store: ParameterStore; where: string } {
  if (stage === 'local') {
    const file = readStackInfo().parameterFile;
    return { store: new LocalParameterStore(file), where: file };
  }
  return {
    store: new SsmParameterStore(awsClients(region).ssm),
    where: `SSM Parameter Store${region ? ` (${region})` : ''}`,
  };
}

/**
 * `tradeops flag get|set <stage>`: seed 002's `aws ssm get-parameter` / `put-parameter` of
 * `/algo-trading/<stage>/trading_enabled`, on every stage including `local`. `set ... false` is
 * the halt procedure (the flag, a notice, an audit row; confirmed like every mutating command).
 * `set ... true` is refused: trading is enabled only by `resume`, after its checks.
 */
export function addFlagCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
  execute: Execute,
): void {
  const flag = program
    .command('flag')
    .description('the kill flag /algo-trading/<stage>/trading_enabled (seed 002 put-parameter)');

  common(
    flag
      .command('get')
      .description('the flag: value, version, when and by whom it was set, where it is stored')
      .addArgument(stageArgument()),
    false,
  ).action(async (stage: AnyStage, o: CommonOptions) => {
    const name = operatorNames(stage).flagParameter;
    const { store, where } = flagStore(stage, o.region);
    const latest = (await store.history(name, 1))[0];
    if (o.json)
      io.out(
        JSON.stringify(
          latest
            ? { ...latest, lastModified: isoUtc(latest.lastModified), store: where }
            : { name, missing: true, store: where },
          null,
          2,
        ),
      );
    else if (!latest) io.out(`${name} is MISSING in ${where}: every task is HALTED (fail closed)`);
    else {
      const by = latest.lastModifiedUser ? ` by ${latest.lastModifiedUser}` : '';
      io.out(
        `${name} = ${JSON.stringify(latest.value)} (version ${latest.version}, set ${formatIst(latest.lastModified)}${by})`,
      );
      io.out(latest.value.trim() === 'true' ? 'trading ENABLED' : 'trading HALTED');
      io.out(`stored in ${where}`);
    }
    // Only an exact "true" trades; a missing flag is not a state to report as fine.
    setExit(latest ? EXIT.ok : EXIT.failed);
  });

  common(
    flag
      .command('set')
      .description('set the flag "false" (the halt procedure); "true" is refused: use resume')
      .addArgument(stageArgument())
      .addArgument(new Argument('<value>', 'the new value').choices(['true', 'false'])),
    true,
  ).action(async (stage: AnyStage, value: 'true' | 'false', o: CommonOptions) => {
    if (value === 'true')
      throw new UsageError(
        `flag set ${stage} true is refused: trading is enabled only by resume, after its checks (no HARD_HALT, a READY readiness check, fills reconciled): npx tradeops resume ${stage} --reason "..."`,
      );
    setExit(
      await execute(
        stage,
        { action: 'halt', requestedBy: requester(o), reason: o.reason ?? '' },
        o,
      ),
    );
  });
}
