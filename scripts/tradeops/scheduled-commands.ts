import { Argument, type Command, Option } from 'commander';
import type { AnyStage } from '../../contract/names';
import { type ScheduledEvent, ScheduledEventSchema } from '../../contract/operator-events';
import type { ScheduledProcedureName } from '../../contract/scheduled-procedures';
import { SNAPSHOT_RETENTION_DAYS } from '../../contract/stage';
import { parseOrThrow } from '../../contract/validation';
import { messageOf } from '../../services/common/errors';
import {
  awsClients,
  discover,
  InvokeError,
  invoke,
  type OpsDiscovery,
} from '../../services/ops/platform/aws/ops-functions';
import type { ChecklistReport } from '../../services/ops/procedures/checklist';
import { runScheduled } from '../../services/ops/procedures/scheduled';
import {
  type CliIo,
  type CommonOptions,
  common,
  outsideVpcOpsContext,
  requester,
  stageArgument,
  withLocalStack,
} from './cli-support';
import { EXIT } from './output';

/** What `checklist <name>` accepts, and the procedure each one runs. */
const CHECKLISTS: Record<string, ScheduledProcedureName> = {
  morning: 'morning-checklist',
  evening: 'evening-checklist',
  'token-check': 'token-check',
  deadlines: 'deadline-check',
  export: 'trade-export',
  records: 'records',
  maintenance: 'maintenance',
};

interface ScheduledOptions extends CommonOptions {
  date?: string;
  force?: boolean;
  verbose?: boolean;
}

/** A procedure's report and what it could not do (run with the operator's own credentials). */
interface ProcedureRun {
  readonly report: ChecklistReport;
  /** Steps or deliveries that did not run; any of them makes the exit code 1. */
  readonly notRun: readonly string[];
}

/**
 * The procedures the CLI runs itself when their function cannot be invoked: the backup needs only
 * RDS (snapshot, wait, prune), S3 and SNS, which the operator's own credentials reach.
 */
const OWN_CREDENTIALS_FALLBACK: ReadonlySet<ScheduledProcedureName> = new Set(['database-backup']);

/**
 * Runs a scheduled procedure now: on the local stack directly, in AWS through its function (the
 * checks need the VPC), and returns the report the procedure produced. When the function cannot
 * be invoked (or not found), a procedure of OWN_CREDENTIALS_FALLBACK runs here with the
 * operator's credentials; a function that ran and failed is not run again.
 */
async function runProcedure(
  io: CliIo,
  stage: AnyStage,
  name: ScheduledProcedureName,
  event: ScheduledEvent,
  options: CommonOptions,
): Promise<ProcedureRun> {
  const parsed = parseOrThrow(ScheduledEventSchema, event, `${name} request`);
  if (stage === 'local')
    return { report: await withLocalStack((ctx) => runScheduled(ctx, name, parsed)), notRun: [] };
  const { ssm, lambda } = awsClients(options.region);
  let discovery: OpsDiscovery | undefined;
  try {
    discovery = await discover(stage, ssm);
    const fn = discovery.functions.scheduled?.[name];
    if (!fn)
      throw new InvokeError(
        `the Ops stack of ${stage} publishes no function for ${name}: deploy it (tradeops deploy ${stage})`,
      );
    if (!options.json) io.err(`invoking ${fn} (inside the VPC)...`);
    return { report: await invoke<ChecklistReport>(lambda, fn, parsed), notRun: [] };
  } catch (error) {
    if (!OWN_CREDENTIALS_FALLBACK.has(name) || (error instanceof InvokeError && error.ran))
      throw error;
    const why =
      error instanceof InvokeError ? error.message : `ops discovery failed: ${messageOf(error)}`;
    io.err(
      `${why}\nFALLING BACK to ${name} with these credentials from outside the VPC (RDS, S3, SNS); no database.`,
    );
    // What the stage's function is deployed with (the CDK's stage table uses the same value).
    const ctx = outsideVpcOpsContext(stage, options.region, discovery, {
      snapshotRetentionDays: SNAPSHOT_RETENTION_DAYS[stage],
    });
    const report = await runScheduled(ctx, name, parsed);
    return { report, notRun: notRunWithoutVpc(report) };
  }
}

/**
 * What a checklist run with the operator's credentials did not do: failed or skipped checks,
 * report deliveries that failed, and always the report's row in PostgreSQL (checklist_runs),
 * which the next deadline check reads to see that the procedure ran.
 */
export function notRunWithoutVpc(report: ChecklistReport): string[] {
  return [
    ...report.results
      .filter((r) => r.status === 'FAIL' || r.status === 'SKIPPED')
      .map((r) => `${r.name} (${r.status === 'FAIL' ? 'failed' : 'skipped'}: ${r.detail})`),
    ...report.deliveryErrors.map((e) => `report delivery (${e})`),
    `report row in checklist_runs (no database from outside the VPC: the next deadline check will not see this ${report.procedure} run)`,
  ];
}

/** Every check, one line each; `verbose` adds severity and the data the check returned. */
export function printReport(
  io: CliIo,
  report: ChecklistReport,
  options: { json?: boolean; verbose?: boolean },
): number {
  if (options.json) io.out(JSON.stringify(report, null, 2));
  else {
    io.out(
      `${report.procedure} on ${report.stage} for ${report.tradingDay}: ${report.status}  (${report.wallMs} ms; checks' sum ${report.sumOfChecksMs} ms)`,
    );
    if (report.results.length === 0) io.out(`  ${report.summary}`);
    const width = Math.max(...report.results.map((r) => r.name.length), 4);
    for (const r of report.results) {
      const severity = options.verbose ? ` ${r.severity.padEnd(8)}` : '';
      io.out(
        `  ${r.status.padEnd(7)}${severity} ${r.name.padEnd(width)} ${String(r.durationMs).padStart(6)} ms  ${r.detail}`,
      );
      if (options.verbose && r.data !== undefined && r.data !== null)
        io.out(`          ${JSON.stringify(r.data)}`);
    }
    if (report.reportKey) io.out(`report: ${report.reportKey}`);
    for (const e of report.deliveryErrors) io.err(`warning: report delivery: ${e}`);
  }
  return report.status === 'FAIL' || report.status === 'NOT_READY' ? EXIT.failed : EXIT.ok;
}

/**
 * The scheduled procedures, run now by the operator: health-check (the morning gate),
 * checklist <name> and backup. Snapshots, logs and deploy have their own files.
 */
export function addScheduledCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  const dateOptions = (command: Command) =>
    command
      .addOption(new Option('--date <YYYY-MM-DD>', 'the trading day (default: today in IST)'))
      .addOption(new Option('--force', 'run on a day it would skip (holiday, weekend)'));

  common(
    program
      .command('health-check')
      .description('the morning checks now: exit 0 READY, 1 NOT READY (seed 004 gate)')
      .addArgument(stageArgument())
      .addOption(new Option('--verbose', 'severity and the data of every check')),
    false,
  ).action(async (stage: AnyStage, o: ScheduledOptions) => {
    const { report } = await runProcedure(
      io,
      stage,
      'morning-checklist',
      { gate: false, force: true, requestedBy: requester(o) },
      o,
    );
    const code = printReport(io, report, o);
    if (!o.json) io.out(report.status === 'READY' ? 'READY' : 'NOT READY');
    setExit(code);
  });

  dateOptions(
    common(
      program
        .command('checklist')
        .description('run a scheduled checklist now and print its report')
        .addArgument(new Argument('<name>', 'the procedure').choices(Object.keys(CHECKLISTS)))
        .addArgument(stageArgument())
        .addOption(new Option('--verbose', 'severity and the data of every check')),
      false,
    ),
  ).action(async (name: string, stage: AnyStage, o: ScheduledOptions) => {
    const procedure = CHECKLISTS[name] as ScheduledProcedureName;
    const { report } = await runProcedure(
      io,
      stage,
      procedure,
      { date: o.date, force: Boolean(o.force), requestedBy: requester(o) },
      o,
    );
    setExit(printReport(io, report, o));
  });

  dateOptions(
    common(
      program
        .command('backup')
        .description("take the day's snapshot now (idempotent), verify it, prune old ones")
        .addArgument(stageArgument()),
      false,
    ),
  ).action(async (stage: AnyStage, o: ScheduledOptions) => {
    const { report, notRun } = await runProcedure(
      io,
      stage,
      'database-backup',
      // An operator's backup runs whatever the day.
      { date: o.date, force: true, requestedBy: requester(o) },
      o,
    );
    const code = printReport(io, report, o);
    if (notRun.length === 0) {
      setExit(code);
      return;
    }
    io.err(`could not run from outside the VPC: ${notRun.join('; ')}`);
    setExit(EXIT.failed);
  });
}
