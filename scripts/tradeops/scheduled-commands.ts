import { spawn } from 'node:child_process';
import path from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { RDSClient } from '@aws-sdk/client-rds';
import { Argument, type Command, Option } from 'commander';
import { type AnyStage, operatorNames } from '../../contract/names';
import { type ScheduledEvent, ScheduledEventSchema } from '../../contract/operator-events';
import type { ScheduledProcedureName } from '../../contract/scheduled-procedures';
import { SNAPSHOT_RETENTION_DAYS, type Stage } from '../../contract/stage';
import { parseOrThrow } from '../../contract/validation';
import { messageOf } from '../../services/common/errors';
import { sleep } from '../../services/common/retry';
import { formatIst, isoUtc } from '../../services/common/time';
import { awsOpsContext } from '../../services/ops/platform/aws/aws-context';
import { CloudWatchLogSource } from '../../services/ops/platform/aws/cloudwatch-log-source';
import {
  awsClients,
  discover,
  InvokeError,
  invoke,
  type OpsDiscovery,
} from '../../services/ops/platform/aws/ops-functions';
import { RdsDatabaseAdmin } from '../../services/ops/platform/aws/rds-admin';
import { LocalLogSource } from '../../services/ops/platform/local/local-platform';
import type { DatabaseAdmin, LogLine, LogSource } from '../../services/ops/platform/ports';
import type { ChecklistReport } from '../../services/ops/procedures/checklist';
import { runScheduled } from '../../services/ops/procedures/scheduled';
import { readStackInfo } from '../local/stack-info';
import {
  type CliIo,
  type CommonOptions,
  common,
  requester,
  stageArgument,
  withLocalStack,
} from './cli-support';
import { EXIT, table, UsageError } from './output';

const REPOSITORY_ROOT = path.join(__dirname, '../..');

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
    const ctx = awsOpsContext({
      stage,
      source: 'cli',
      region: options.region,
      bucket: discovery?.bucket ?? '(unknown: ops discovery failed)',
      topics: discovery?.topics ?? { page: '(unknown)', notify: '(unknown)' },
      // What the stage's function is deployed with (the CDK's stage table uses the same value).
      settings: { snapshotRetentionDays: SNAPSHOT_RETENTION_DAYS[stage] },
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
 * `15m`, `2h`, `1d`, `30s` as milliseconds; anything else is a usage error naming it. Zero is one
 * too: `--since 0m` would print nothing and exit 0, which reads as "no log lines".
 */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  const count = Number(m?.[1]);
  if (!m || !Number.isSafeInteger(count) || count <= 0)
    throw new UsageError(
      `--since takes a duration like 30s, 15m, 2h or 1d, more than zero (got ${JSON.stringify(text)})`,
    );
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return count * unit;
}

/** The database admin (snapshots) with the operator's own credentials: read-only use. */
function awsDatabaseAdmin(stage: Stage, region?: string): DatabaseAdmin {
  const config = region ? { region } : {};
  return new RdsDatabaseAdmin(
    new RDSClient(config),
    new CloudWatchClient(config),
    operatorNames(stage).dbInstance,
  );
}

async function withDatabaseAdmin<T>(
  stage: AnyStage,
  region: string | undefined,
  fn: (admin: DatabaseAdmin) => Promise<T>,
): Promise<T> {
  if (stage !== 'local') return fn(awsDatabaseAdmin(stage, region));
  return withLocalStack((ctx) => {
    if (!ctx.database) throw new Error('the local stack has no database admin');
    return fn(ctx.database);
  });
}

/** A snapshot id that does not exist is a usage error (exit 2), said before anything runs. */
export async function requireSnapshot(
  stage: AnyStage,
  snapshotId: string,
  region?: string,
): Promise<void> {
  const found = await withDatabaseAdmin(stage, region, (admin) => admin.snapshot(snapshotId));
  if (!found)
    throw new UsageError(
      `snapshot ${snapshotId} does not exist on ${stage} (list them with "tradeops snapshots ${stage}")`,
    );
}

function logSource(stage: AnyStage, region?: string): LogSource {
  if (stage === 'local') return new LocalLogSource(readStackInfo().logDir);
  return new CloudWatchLogSource(
    new CloudWatchLogsClient(region ? { region } : {}),
    operatorNames(stage).logGroup,
  );
}

const logLine = (l: LogLine) => `${formatIst(l.timestamp)} ${l.stream} ${l.message}`;

export interface DeployOptions {
  readonly dryRun: boolean;
  readonly skipBuild: boolean;
  readonly skipInfra: boolean;
}

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
 * The scheduled procedures and the rest of the runbook: health-check, checklist, backup,
 * snapshots, logs, deploy. `restartService` runs the audited restart (deploy --skip-infra).
 */
export function addScheduledCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
  restart: (stage: Stage, o: CommonOptions) => Promise<number>,
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

  common(
    program
      .command('snapshots')
      .description('the manual snapshots of the stage, newest first')
      .addArgument(stageArgument()),
    false,
  ).action(async (stage: AnyStage, o: CommonOptions) => {
    const snapshots = await withDatabaseAdmin(stage, o.region, (admin) =>
      admin.snapshots(operatorNames(stage).snapshotPrefix),
    );
    const sorted = [...snapshots].sort((a, b) => b.id.localeCompare(a.id));
    if (o.json) io.out(JSON.stringify(sorted, null, 2));
    else
      io.out(
        table(
          sorted.map((s) => ({
            snapshot: s.id,
            status: s.status,
            created: s.createdAt ? formatIst(Date.parse(s.createdAt)) : '',
            sizeGiB: s.sizeGiB ?? '',
          })),
        ),
      );
    setExit(EXIT.ok);
  });

  common(
    program
      .command('logs')
      .description("the trading service's log lines (CloudWatch Logs; local files locally)")
      .addArgument(stageArgument())
      .addOption(new Option('--since <duration>', 'how far back: 30s, 15m, 2h, 1d').default('15m'))
      .addOption(new Option('--filter <text>', 'only lines containing it (e.g. ERROR)'))
      .addOption(new Option('--limit <n>', 'at most this many lines').default('500'))
      .addOption(new Option('--follow', 'keep printing new lines until interrupted')),
    false,
  ).action(
    async (
      stage: AnyStage,
      o: CommonOptions & { since: string; filter?: string; limit: string; follow?: boolean },
    ) => {
      const sinceMs = Date.now() - parseDuration(o.since);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(
          `--limit takes a positive whole number (got ${JSON.stringify(o.limit)})`,
        );
      const source = logSource(stage, o.region);
      const print = (lines: LogLine[]) => {
        for (const l of lines)
          io.out(o.json ? JSON.stringify({ ...l, timestamp: isoUtc(l.timestamp) }) : logLine(l));
      };
      let lines = await source.lines({ sinceMs, pattern: o.filter, limit });
      print(lines);
      if (o.follow) {
        let stop = false;
        process.once('SIGINT', () => {
          stop = true;
        });
        // Lines of the last printed millisecond may arrive late: remember what was printed there.
        let last = lines.at(-1)?.timestamp ?? sinceMs;
        let seen = new Set(lines.filter((l) => l.timestamp === last).map((l) => l.message));
        while (!stop) {
          await sleep(2000);
          lines = (await source.lines({ sinceMs: last, pattern: o.filter, limit })).filter(
            (l) => l.timestamp > last || !seen.has(l.message),
          );
          print(lines);
          const newest = lines.at(-1)?.timestamp;
          if (newest !== undefined && newest > last) {
            last = newest;
            seen = new Set();
          }
          for (const l of lines) if (l.timestamp === last) seen.add(l.message);
        }
      }
      setExit(EXIT.ok);
    },
  );

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
