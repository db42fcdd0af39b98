import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import type { Command } from 'commander';
import { type AnyStage, operatorNames } from '../../contract/names';
import type { Stage } from '../../contract/stage';
import { formatIst } from '../../services/common/time';
import { RdsDatabaseAdmin } from '../../services/ops/platform/aws/rds-admin';
import type { DatabaseAdmin } from '../../services/ops/platform/ports';
import {
  type CliIo,
  type CommonOptions,
  common,
  stageArgument,
  withLocalStack,
} from './cli-support';
import { EXIT, table, UsageError } from './output';

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

/** `tradeops snapshots <stage>`: the manual snapshots a restore can start from. */
export function addSnapshotCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
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
}
