import { createInterface } from 'node:readline/promises';
import { Command, CommanderError, Option } from 'commander';
import type { AnyStage } from '../../contract/names';
import type { OperatorAction } from '../../contract/operator-actions';
import { type OperatorEvent, OperatorEventSchema } from '../../contract/operator-events';
import { parseOrThrow, ValidationError } from '../../contract/validation';
import { messageOf } from '../../services/common/errors';
import { type DispatchResult, dispatch } from '../../services/ops/dispatch';
import {
  awsClients,
  discover,
  InvokeError,
  invoke,
  type OpsDiscovery,
  operatorFunction,
} from '../../services/ops/platform/aws/ops-functions';
import { runReadinessCheck } from '../../services/ops/procedures/morning';
import type { ProcedureResult } from '../../services/ops/steps/runner';
import { addCalendarCommands } from './calendar-commands';
import {
  type CliIo,
  type CommonOptions,
  common,
  defaultIo,
  outsideVpcOpsContext,
  requester,
  stageArgument,
  withLocalStack,
} from './cli-support';
import { addDeployCommands } from './deploy-commands';
import { addFlagCommands } from './flag-commands';
import { addLogCommands } from './log-commands';
import { EXIT, exitCodeOf, printResult, progressPrinter, UsageError } from './output';
import { addRecordsCommands } from './records-commands';
import { addScheduledCommands } from './scheduled-commands';
import { addSnapshotCommands, requireSnapshot } from './snapshot-commands';
import { printAudit, printStatus } from './status-output';
import { addTokenCommands } from './token-commands';

/** Which ops function runs an action in AWS. */

/** What each mutating action does, said before asking for confirmation. */
const CONSEQUENCE: Partial<Record<OperatorAction, string>> = {
  kill: 'set the kill flag to false, halt every trading task, cancel working orders and FLATTEN EVERY POSITION',
  halt: 'set the kill flag to false: no task opens new positions',
  resume: 'restore the trading service and set the kill flag to true: trading RESUMES',
  pause: 'pause new entries on every trading task',
  unpause: 'allow new entries again',
  flatten: 'close every position with market orders',
  'reset-risk-halt': 'clear the HARD_HALT risk halt',
  restart:
    'replace every task of the service with fresh ones (trading tasks halt on SIGTERM and resume per the flag)',
  scale: 'change how many trading tasks run',
  rollback: 'roll the trading service back to an earlier task definition revision',
  restore: 'restore the snapshot to a NEW database instance (the live database is not touched)',
  'calendar-import':
    "replace the NSE calendar of the file's years (holidays, special sessions): what every task trades by",
};

/** The same, for an action scoped to one algo ID (`--algo`): the other algos trade on. */
const ALGO_CONSEQUENCE: Partial<Record<OperatorAction, (algoId: string) => string>> = {
  kill: (a) =>
    `halt algo ${a} on every task, cancel its working entries and FLATTEN ITS POSITIONS (other algos trade on)`,
  halt: (a) => `halt algo ${a}: its strategies open no new positions (other algos trade on)`,
  resume: (a) => `clear the halt of algo ${a}: its strategies TRADE AGAIN`,
  flatten: (a) => `close the positions of algo ${a}'s strategies with market orders`,
};

async function confirm(
  io: CliIo,
  stage: AnyStage,
  action: OperatorAction,
  options: CommonOptions,
  algoId?: string,
): Promise<void> {
  if (options.yes) return;
  if (!io.stdin.isTTY) {
    throw new UsageError(
      `refusing to ${action} ${stage} without confirmation on a non-interactive terminal: pass --yes`,
    );
  }
  const rl = createInterface({ input: io.stdin, output: process.stderr });
  const answer = await rl.question(
    `This will ${(algoId && ALGO_CONSEQUENCE[action]?.(algoId)) || CONSEQUENCE[action]} on ${stage}.\nType the stage name (${stage}) to confirm: `,
  );
  rl.close();
  if (answer.trim() !== stage)
    throw new UsageError(
      `not confirmed (typed ${JSON.stringify(answer.trim())}, expected ${stage})`,
    );
}

/** Runs an operator event on the local stack or, in AWS, through its ops function. */
async function execute(
  io: CliIo,
  stage: AnyStage,
  event: OperatorEvent,
  options: CommonOptions,
): Promise<number> {
  const parsed = parseOrThrow(OperatorEventSchema, event, `${event.action} request`);
  if (parsed.action === 'restore') await requireSnapshot(stage, parsed.snapshotId, options.region);
  if (CONSEQUENCE[parsed.action] && !(parsed.action === 'flatten' && parsed.dryRun))
    await confirm(
      io,
      stage,
      parsed.action,
      options,
      'algoId' in parsed ? parsed.algoId : undefined,
    );
  const progress = progressPrinter(Boolean(options.json), io.out);
  if (stage === 'local') {
    const result = await withLocalStack((ctx) =>
      dispatch(ctx, parsed, { readiness: runReadinessCheck, onProgress: progress }),
    );
    return render(io, result, options, Boolean(progress));
  }
  const { ssm, lambda } = awsClients(options.region);
  let discovery: OpsDiscovery | undefined;
  try {
    discovery = await discover(stage, ssm);
    const fn = operatorFunction(discovery, stage, parsed.action);
    if (!options.json) io.err(`invoking ${fn} (inside the VPC)...`);
    const result = await invoke<DispatchResult>(lambda, fn, parsed);
    return render(io, result, options, false);
  } catch (error) {
    // A function that ran and failed may have acted: doing it again from here could double it.
    if (error instanceof InvokeError && error.ran) throw error;
    // Any action falls back to what the operator's own credentials can do (seed 002's `aws`
    // commands: SSM, ECS, RDS); the steps that need the VPC say they could not run.
    const why =
      error instanceof InvokeError ? error.message : `ops discovery failed: ${messageOf(error)}`;
    io.err(
      `${why}\nFALLING BACK to what these credentials can do from outside the VPC (SSM, ECS, RDS, SNS); no database, no task API.`,
    );
    const ctx = outsideVpcOpsContext(stage, options.region, discovery);
    const result = await dispatch(ctx, parsed, {
      readiness: runReadinessCheck,
      onProgress: progress,
    });
    const code = render(io, result, options, Boolean(progress));
    const missed = notRunOutsideVpc(result);
    if (missed.length === 0) return code;
    io.err(`could not run from outside the VPC: ${missed.join('; ')}`);
    return EXIT.failed;
  }
}

/**
 * What a fallback run could not do: failed steps, an audit row only spooled, and (for status) the
 * tasks' own state. Any of them makes the exit code 1.
 */
export function notRunOutsideVpc(result: DispatchResult): string[] {
  switch (result.kind) {
    case 'procedure':
      return result.result.steps
        .filter(
          (s) =>
            s.status === 'failed' ||
            (s.name === 'audit' && s.status === 'skipped') ||
            s.detail.startsWith('audit deferred'),
        )
        .map((s) => `${s.name} (${s.detail})`);
    case 'status':
      return result.result.tasks.length
        ? [`task state of ${result.result.tasks.length} task(s): the task API is inside the VPC`]
        : [];
    case 'audit':
    case 'token-gate':
      return [];
  }
}

function render(
  io: CliIo,
  result: DispatchResult,
  options: CommonOptions,
  stepsPrinted: boolean,
): number {
  switch (result.kind) {
    case 'procedure':
      printResult(result.result as ProcedureResult, {
        json: Boolean(options.json),
        stepsPrinted,
        write: io.out,
      });
      return exitCodeOf(result.result);
    case 'status':
      printStatus(io, result.result, Boolean(options.json));
      return EXIT.ok;
    case 'audit':
      printAudit(io, result.result, Boolean(options.json));
      return result.result.ok ? EXIT.ok : EXIT.failed;
    case 'token-gate':
      io.out(JSON.stringify(result.result, null, 2));
      return EXIT.ok;
  }
}

/** Builds the program; `io` lets tests capture output. */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('tradeops')
    .description(
      'Operate the algo-trading desk: the runbooks as commands. Stage is dev|staging|prod|local.',
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
    });

  const operator = (
    name: string,
    description: string,
    build: (stage: AnyStage, o: CommonOptions & Record<string, unknown>) => OperatorEvent,
    mutating = true,
  ) => {
    const command = common(
      program.command(name).description(description).addArgument(stageArgument()),
      mutating,
    );
    command.action(async (stage: AnyStage, o: CommonOptions & Record<string, unknown>) => {
      setExit(await execute(io, stage, build(stage, o), o));
    });
    return command;
  };
  const who = (o: CommonOptions) => ({ requestedBy: requester(o), reason: o.reason ?? '' });
  // `--algo ID`: the exchange's per-algo kill switch (the schema checks the ID's format).
  const algo = (o: Record<string, unknown>) =>
    o.algo === undefined ? {} : { algoId: String(o.algo) };
  const algoOption = () =>
    new Option('--algo <id>', "only this exchange algo ID's strategies (the others trade on)");

  operator('status', 'flag, service and every trading task', () => ({ action: 'status' }), false);
  operator('halt', 'set the kill flag to false (no new positions)', (_s, o) => ({
    action: 'halt',
    ...who(o),
    ...algo(o),
  })).addOption(algoOption());
  operator('kill', 'emergency stop: halt, cancel, flatten, verify, page', (_s, o) => ({
    action: 'kill',
    ...who(o),
    ...algo(o),
    scaleToZero: Boolean(o.scaleToZero),
  }))
    .addOption(new Option('--scale-to-zero', 'also scale the trading service to 0 (last)'))
    .addOption(algoOption());
  operator('resume', 'resume trading after a readiness check', (_s, o) => ({
    action: 'resume',
    ...who(o),
    ...algo(o),
    // Given but empty is a mistake to refuse, not an option to drop (the schema names it).
    ...(o.approvedBy === undefined ? {} : { approvedBy: String(o.approvedBy) }),
  }))
    .addOption(new Option('--approved-by <name>', 'second person (two-person rule)'))
    .addOption(algoOption());
  operator('pause', 'block new entries (exits continue)', (_s, o) => ({
    action: 'pause',
    ...who(o),
  }));
  operator('unpause', 'allow new entries again', (_s, o) => ({ action: 'unpause', ...who(o) }));
  operator('flatten', 'close every position with market orders', (_s, o) => ({
    action: 'flatten',
    ...who(o),
    ...algo(o),
    dryRun: Boolean(o.dryRun),
  }))
    .addOption(new Option('--dry-run', 'list what would be sent; send nothing'))
    .addOption(algoOption());
  operator('reset-risk-halt', 'clear a HARD_HALT after review', (_s, o) => ({
    action: 'reset-risk-halt',
    ...who(o),
  }));

  operator('restart', 'force a new deployment and wait until stable (seed 002)', (_s, o) => ({
    action: 'restart',
    ...who(o),
    service: o.service as 'trading' | 'dashboard',
  })).addOption(
    new Option('--service <name>', 'which service')
      .choices(['trading', 'dashboard'])
      .default('trading'),
  );
  operator('scale', 'set the trading task count (0 refused with open positions)', (_s, o) => ({
    action: 'scale',
    ...who(o),
    count: countArgument(o.count),
  })).requiredOption('--count <n>', 'the desired number of trading tasks');
  operator('rollback', 'back to the previous (or a given) task definition revision', (stage, o) => {
    if (stage === 'local')
      throw new UsageError(
        'the local stack runs the working tree: it has no revisions to roll back to',
      );
    return {
      action: 'rollback',
      ...who(o),
      ...(o.toRevision === undefined ? {} : { toRevision: countArgument(o.toRevision) }),
    };
  }).addOption(new Option('--to-revision <n>', 'the task definition revision to run'));
  operator(
    'restore',
    'restore a snapshot to a new instance (never over the live one)',
    (_s, o) => ({
      action: 'restore',
      ...who(o),
      snapshotId: String(o.snapshot),
      ...(o.target ? { target: String(o.target) } : {}),
    }),
  )
    .requiredOption('--snapshot <id>', 'the snapshot (see "tradeops snapshots <stage>")')
    .addOption(
      new Option('--target <instance>', 'the new instance (default <db>-restored-<time>)'),
    );
  addFlagCommands(program, io, setExit, (stage, event, o) => execute(io, stage, event, o));
  addCalendarCommands(program, io, setExit, (stage, event, o) => execute(io, stage, event, o));
  addRecordsCommands(program, io, setExit);
  addScheduledCommands(program, io, setExit);
  addSnapshotCommands(program, io, setExit);
  addLogCommands(program, io, setExit);
  addTokenCommands(program, io, setExit);
  addDeployCommands(program, io, setExit, (stage, o) =>
    execute(io, stage, { action: 'restart', ...who(o), service: 'trading' }, o),
  );

  const audit = program.command('audit').description('the control_audit log');
  common(
    audit
      .command('verify')
      .description('walk the hash chain; name the first broken row')
      .addArgument(stageArgument()),
    false,
  ).action(async (stage: AnyStage, o: CommonOptions) => {
    setExit(await execute(io, stage, { action: 'audit-verify' }, o));
  });
  return program;
}

/** A whole number as typed, or a usage error naming it (`--count -1`, `--count two`). */
function countArgument(value: unknown): number {
  const n = Number(value);
  if (typeof value !== 'string' || !/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new UsageError(`expected a whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** Runs the CLI; resolves with the exit code (0 ok, 1 a step or check failed, 2 bad usage). */
export async function run(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.help' ||
        error.code === 'commander.version'
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    if (error instanceof UsageError || error instanceof ValidationError) {
      io.err(`tradeops: ${error.message}`);
      return EXIT.usage;
    }
    io.err(`tradeops: ${messageOf(error)}`);
    return EXIT.failed;
  }
}
