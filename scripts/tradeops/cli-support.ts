import os from 'node:os';
import { Argument, type Command, Option } from 'commander';
import type { Stage } from '../../contract/stage';
import { type AwsContextOptions, awsOpsContext } from '../../services/ops/platform/aws/aws-context';
import type { OpsDiscovery } from '../../services/ops/platform/aws/ops-functions';
import { localOpsContext } from '../../services/ops/platform/local/local-context';
import type { OpsContext } from '../../services/ops/platform/ports';
import { readStackInfo } from '../local/stack-info';

export const STAGE_CHOICES = ['dev', 'staging', 'prod', 'local'] as const;

export interface CommonOptions {
  json?: boolean;
  yes?: boolean;
  reason?: string;
  as?: string;
  region?: string;
}

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly stdin: NodeJS.ReadStream;
}

export const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stdin: process.stdin,
};

export function requester(options: CommonOptions): string {
  return options.as ?? `${os.userInfo().username}@${os.hostname()}`;
}

export function stageArgument(): Argument {
  return new Argument('<stage>', `the stage: ${STAGE_CHOICES.join('|')}`).choices(STAGE_CHOICES);
}

export function common(command: Command, mutating: boolean): Command {
  command.addOption(new Option('--json', 'machine-readable output'));
  command.addOption(new Option('--region <region>', 'AWS region (default: the SDK default)'));
  if (mutating) {
    command.requiredOption('--reason <text>', 'why (audited)');
    command.addOption(new Option('--yes', 'do not ask for confirmation'));
    command.addOption(new Option('--as <name>', 'who (audited; default user@host)'));
  }
  return command;
}

/** Runs `fn` against the running local stack with the CLI's ops context, and closes it. */
export async function withLocalStack<T>(fn: (ctx: OpsContext) => Promise<T>): Promise<T> {
  const ctx = localOpsContext(readStackInfo(), 'cli');
  try {
    return await fn(ctx);
  } finally {
    await ctx.pool.end();
  }
}

/**
 * The ops context on the operator's own credentials, from outside the VPC (no database, no task
 * API): the bucket and topics as ops discovery published them, placeholders where it failed.
 */
export function outsideVpcOpsContext(
  stage: Stage,
  region: string | undefined,
  discovery: OpsDiscovery | undefined,
  settings?: AwsContextOptions['settings'],
): OpsContext {
  return awsOpsContext({
    stage,
    source: 'cli',
    region,
    bucket: discovery?.bucket ?? '(unknown: ops discovery failed)',
    topics: discovery?.topics ?? { page: '(unknown)', notify: '(unknown)' },
    settings,
  });
}
