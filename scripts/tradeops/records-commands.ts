import { S3Client } from '@aws-sdk/client-s3';
import { type Command, Option } from 'commander';
import * as z from 'zod';
import { isIsoDate } from '../../contract/dates';
import type { AnyStage } from '../../contract/names';
import { DEFAULT_SCHEDULES } from '../../contract/stage';
import { awsClients, discover } from '../../services/ops/platform/aws/ops-functions';
import { S3ObjectStore } from '../../services/ops/platform/aws/s3-object-store';
import { recordsStore, verifyStageRecords } from '../../services/ops/records/stage-records';
import type { RecordsVerification } from '../../services/ops/records/verify-records';
import {
  type CliIo,
  type CommonOptions,
  common,
  stageArgument,
  withLocalStack,
} from './cli-support';
import { EXIT, table, UsageError } from './output';

const isoDate = z.string().refine(isIsoDate, 'expected YYYY-MM-DD');
const RangeSchema = z
  .object({ from: isoDate.optional(), to: isoDate.optional() })
  .refine((r) => !r.from || !r.to || r.from <= r.to, '--from must not be after --to');

/** The range `records verify` was given, or a usage error (exit 2) naming what is wrong. */
export function parseRecordsRange(o: { from?: string; to?: string }): {
  from?: string;
  to?: string;
} {
  const parsed = RangeSchema.safeParse({ from: o.from, to: o.to });
  if (!parsed.success)
    throw new UsageError(
      `records verify: ${parsed.error.issues.map((i) => `${i.path.length ? `--${i.path.join('.')}: ` : ''}${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** Verifies a stage's records: the local stack's folder, or the records bucket in AWS. */
async function verifyStage(
  stage: AnyStage,
  range: { from?: string; to?: string },
  options: CommonOptions,
): Promise<RecordsVerification> {
  const now = Date.now();
  if (stage === 'local')
    return withLocalStack((ctx) =>
      verifyStageRecords(recordsStore(ctx), {
        ...range,
        now,
        recordsTime: ctx.settings.schedules.records.time,
      }),
    );
  // Reading S3 needs no VPC: the operator's own credentials do it.
  const { ssm } = awsClients(options.region);
  const discovery = await discover(stage, ssm);
  if (!discovery.recordsBucket)
    throw new Error(
      `the Ops stack of ${stage} publishes no records bucket: deploy it (tradeops deploy ${stage})`,
    );
  const s3 = new S3Client(options.region ? { region: options.region } : {});
  return verifyStageRecords(new S3ObjectStore(s3, discovery.recordsBucket), {
    ...range,
    now,
    // The schedule every stage deploys with (the stage table takes it from here).
    recordsTime: DEFAULT_SCHEDULES.records.time,
  });
}

/** Prints the verification: one line per day, then the verdict. Returns the exit code. */
export function printVerification(io: CliIo, v: RecordsVerification, json: boolean): number {
  if (json) io.out(JSON.stringify(v, null, 2));
  else {
    io.out(`records in ${v.location} from ${v.from ?? '-'} to ${v.to ?? '-'}`);
    io.out(
      table(
        v.days.map((d) => ({
          day: d.day,
          status: d.ok ? 'OK' : 'BROKEN',
          rows: d.rows ? Object.values(d.rows).reduce((a, b) => a + b, 0) : '',
          problem: d.problems.join('; '),
        })),
      ),
    );
    io.out(v.summary);
  }
  return v.ok ? EXIT.ok : EXIT.failed;
}

/** `records verify <stage> [--from D] [--to D]`: exit 0 when every day checks, 1 naming the first broken day. */
export function addRecordsCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  const records = program
    .command('records')
    .description('the five-year records (Object Lock): verify the chain of days');
  common(
    records
      .command('verify')
      .description(
        're-read the records, recompute every sha256 and the chain; exit 1 naming the first broken day',
      )
      .addArgument(stageArgument())
      .addOption(new Option('--from <YYYY-MM-DD>', 'first day (default: the first day stored)'))
      .addOption(new Option('--to <YYYY-MM-DD>', 'last day (default: the last day due)')),
    false,
  ).action(async (stage: AnyStage, o: CommonOptions & { from?: string; to?: string }) => {
    const range = parseRecordsRange(o);
    setExit(printVerification(io, await verifyStage(stage, range, o), Boolean(o.json)));
  });
}
