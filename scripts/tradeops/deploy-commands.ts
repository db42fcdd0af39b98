import { spawn } from 'node:child_process';
import path from 'node:path';
import { type Command, Option } from 'commander';
import type { AnyStage } from '../../contract/names';
import type { Stage } from '../../contract/stage';
import { type CliIo, type CommonOptions, common, stageArgument } from './cli-support';
import { EXIT, UsageError } from './output';

const REPOSITORY_ROOT = path.join(__dirname, '../..');

/** The switches of `deploy`. */
export interface DeployOptions {
  readonly dryRun: boolean;
  readonly skipBuild: boolean;
  readonly skipInfra: boolean;
}

/** One step of a deploy: a command run in the repository, or the audited restart. */
export type DeployStep =
  | { readonly name: string; readonly command: readonly string[] }
  | { readonly name: 'restart' };

/**
 * What `deploy` runs (seed 002's deploy.sh over CDK): checks the code unless `--skip-build`, then
 * `cdk diff` (`--dry-run`) or `cdk deploy` of every stack of the stage (which builds and pushes
 * the images) unless `--skip-infra`; with `--skip-infra` and no dry run, a restart of the trading
 * service (the old `--skip-build --skip-infra` redeploy).
 */
export function deployPlan(stage: Stage, o: DeployOptions): DeployStep[] {
  const cdk = ['npx', 'cdk', '--no-notices', '-c', `stage=${stage}`];
  const plan: DeployStep[] = o.skipBuild
    ? []
    : [
        { name: 'typecheck', command: ['npm', 'run', 'typecheck'] },
        { name: 'lint', command: ['npm', 'run', 'lint'] },
      ];
  if (o.skipInfra) {
    if (!o.dryRun) plan.push({ name: 'restart' });
  } else if (o.dryRun) plan.push({ name: 'cdk diff', command: [...cdk, 'diff', '--all'] });
  // A change that widens IAM or security groups is shown and must be approved.
  else
    plan.push({
      name: 'cdk deploy',
      command: [...cdk, 'deploy', '--all', '--require-approval', 'broadening'],
    });
  return plan;
}

function runCommand(command: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = command;
    const child = spawn(file as string, args, { cwd: REPOSITORY_ROOT, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * `tradeops deploy <stage>`: runs `deployPlan`, stopping at the first step that fails.
 * `restart` runs the audited restart (deploy --skip-infra).
 */
export function addDeployCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
  restart: (stage: Stage, o: CommonOptions) => Promise<number>,
): void {
  common(
    program
      .command('deploy')
      .description('cdk diff / cdk deploy of the stage (seed 002 deploy.sh)')
      .addArgument(stageArgument())
      .addOption(new Option('--dry-run', 'show the diff; change nothing'))
      .addOption(new Option('--skip-build', 'skip the typecheck and lint'))
      .addOption(new Option('--skip-infra', 'no cdk deploy; restart the trading service instead'))
      .addOption(new Option('--reason <text>', 'why (audited, for the restart)'))
      .addOption(new Option('--yes', 'do not ask for confirmation (the restart)'))
      .addOption(new Option('--as <name>', 'who (audited; default user@host)')),
    false,
  ).action(
    async (
      stage: AnyStage,
      o: CommonOptions & { dryRun?: boolean; skipBuild?: boolean; skipInfra?: boolean },
    ) => {
      if (stage === 'local')
        throw new UsageError(
          'the local stack runs the working tree: restart it with "npm start" (or "tradeops restart local")',
        );
      const plan = deployPlan(stage, {
        dryRun: Boolean(o.dryRun),
        skipBuild: Boolean(o.skipBuild),
        skipInfra: Boolean(o.skipInfra),
      });
      for (const step of plan) {
        io.err(`== ${step.name}`);
        const code =
          'command' in step
            ? await runCommand(step.command)
            : await restart(stage, { ...o, reason: o.reason ?? 'deploy --skip-infra' });
        if (code !== 0) {
          io.err(`deploy stopped: ${step.name} exited ${code}`);
          setExit(EXIT.failed);
          return;
        }
      }
      io.err(o.dryRun ? 'dry run: nothing was changed' : `deployed ${stage}`);
      setExit(EXIT.ok);
    },
  );
}
