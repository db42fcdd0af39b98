import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { snapshotIdentifier } from '../../contract/names';
import { RdsDatabaseAdmin } from '../../services/ops/platform/aws/rds-admin';
import {
  databaseBackup,
  maintenance,
  snapshotsToPrune,
} from '../../services/ops/procedures/backup';
import { AT_1630_IST, context, DAY, rds, resetAwsOpsFixtures, s3, sns } from './aws-ops-fixtures';

beforeEach(resetAwsOpsFixtures);

describe('snapshots: naming and pruning', () => {
  const prefix = 'algo-trading-prod-backup-';
  const snap = (date: string, status = 'available') => ({
    id: `${prefix}${date.replaceAll('-', '')}`,
    status,
  });

  it('names the day', () => {
    expect(snapshotIdentifier('prod', '2026-11-23')).toBe('algo-trading-prod-backup-20261123');
    expect(() => snapshotIdentifier('prod', '23-11-2026')).toThrow(/YYYY-MM-DD/);
  });

  it('prunes ours older than the retention; never the newest available, today, or foreign ids', () => {
    const snapshots = [
      snap('2026-11-02'),
      snap('2026-11-13'),
      snap('2026-11-16'),
      snap('2026-11-20'),
      snap('2026-11-23', 'creating'),
      { id: `${prefix}manual-before-upgrade`, status: 'available' },
      { id: 'algo-trading-prod-backup-2026112', status: 'available' },
    ];
    const pruned = snapshotsToPrune(snapshots, {
      prefix,
      day: '2026-11-23',
      retentionDays: 7,
      keep: `${prefix}20261123`,
    });
    expect(pruned.map((s) => s.id)).toEqual([`${prefix}20261102`, `${prefix}20261113`]);
  });

  it('keeps the newest available one even when every snapshot is past the retention', () => {
    const pruned = snapshotsToPrune([snap('2026-10-01'), snap('2026-10-02')], {
      prefix,
      day: '2026-11-23',
      retentionDays: 7,
      keep: `${prefix}20261123`,
    });
    expect(pruned.map((s) => s.id)).toEqual([`${prefix}20261001`]);
  });
});

describe('the database backup against a mocked RDS', () => {
  const id = 'algo-trading-prod-backup-20261123';
  const snapshotsOf = (list: Array<[string, string]>) => ({
    DBSnapshots: list.map(([i, status]) => ({
      DBSnapshotIdentifier: i,
      Status: status,
      SnapshotCreateTime: new Date('2026-11-23T11:00:00Z'),
      AllocatedStorage: 100,
    })),
  });

  beforeEach(() => {
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).resolves({});
  });

  it('creates the day’s snapshot, waits until available, and prunes only old ones of ours', async () => {
    const notFound = Object.assign(new Error('DBSnapshot not found'), {
      name: 'DBSnapshotNotFoundFault',
      $metadata: { httpStatusCode: 404 },
    });
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: id })
      .rejectsOnce(notFound)
      .resolvesOnce(snapshotsOf([[id, 'creating']]))
      .resolves(snapshotsOf([[id, 'available']]));
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'algo-trading-prod-db' }).resolves(
      snapshotsOf([
        [id, 'available'],
        ['algo-trading-prod-backup-20261110', 'available'],
        ['algo-trading-prod-backup-20261120', 'available'],
      ]),
    );
    rds.on(CreateDBSnapshotCommand).resolves({});
    rds.on(DeleteDBSnapshotCommand).resolves({});

    const report = await databaseBackup(context({ now: () => AT_1630_IST }), {
      date: DAY,
      triggeredBy: 'scheduler',
    });

    expect(report.results.map((r) => [r.name, r.status])).toEqual([
      ['snapshot', 'PASS'],
      ['verify', 'PASS'],
      ['prune', 'PASS'],
    ]);
    expect(rds.commandCalls(CreateDBSnapshotCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'algo-trading-prod-db',
      DBSnapshotIdentifier: id,
      Tags: [{ Key: 'CreatedBy', Value: 'algo-trading-ops' }],
    });
    expect(
      rds.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier),
    ).toEqual(['algo-trading-prod-backup-20261110']);
  });

  it('is idempotent: a second run finds the snapshot and creates nothing', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves(snapshotsOf([[id, 'available']]));
    const report = await databaseBackup(context({ now: () => AT_1630_IST }), {
      date: DAY,
      triggeredBy: 'scheduler',
    });
    expect(report.results[0]?.detail).toBe(`${id} already exists (available): nothing to create`);
    expect(rds.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);
  });

  it('maintenance skips a trading day and snapshots on Saturday', async () => {
    const report = await maintenance(context(), { date: DAY, triggeredBy: 'scheduler' });
    expect(report.status).toBe('SKIPPED');
    expect(rds.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);
  });
});

describe('RdsDatabaseAdmin', () => {
  const admin = () =>
    new RdsDatabaseAdmin(new RDSClient({}), new CloudWatchClient({}), 'algo-trading-prod-db');

  it('restores to a new instance in the live one’s subnets, security groups and parameter group', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceClass: 'db.r6g.large',
          DBSubnetGroup: { DBSubnetGroupName: 'db-subnets' },
          VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
          DBParameterGroups: [{ DBParameterGroupName: 'pg17' }],
          Endpoint: { Port: 5433 },
        },
      ],
    });
    rds
      .on(RestoreDBInstanceFromDBSnapshotCommand)
      .resolves({ DBInstance: { DBInstanceStatus: 'creating' } });

    const where = await admin().restoreSnapshot(
      'algo-trading-prod-backup-20261120',
      'algo-trading-prod-db-restored-202611231200',
    );

    expect(where).toMatch(/algo-trading-prod-db-restored-202611231200 \(creating/);
    expect(
      rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]?.args[0].input,
    ).toMatchObject({
      DBInstanceIdentifier: 'algo-trading-prod-db-restored-202611231200',
      DBSnapshotIdentifier: 'algo-trading-prod-backup-20261120',
      DBInstanceClass: 'db.r6g.large',
      DBSubnetGroupName: 'db-subnets',
      VpcSecurityGroupIds: ['sg-1'],
      DBParameterGroupName: 'pg17',
      Port: 5433,
      PubliclyAccessible: false,
    });
  });

  it('lists our snapshots across pages and answers undefined for one that does not exist', async () => {
    rds
      .on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'algo-trading-prod-db' })
      .resolvesOnce({
        DBSnapshots: [
          { DBSnapshotIdentifier: 'algo-trading-prod-backup-20261120', Status: 'available' },
        ],
        Marker: 'page-2',
      })
      .resolvesOnce({
        DBSnapshots: [
          { DBSnapshotIdentifier: 'rds:algo-trading-prod-db-2026-11-21', Status: 'available' },
          { DBSnapshotIdentifier: 'algo-trading-prod-backup-20261121', Status: 'creating' },
        ],
      });
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'nope' })
      .rejects(Object.assign(new Error('not found'), { name: 'DBSnapshotNotFoundFault' }));

    const listed = await admin().snapshots('algo-trading-prod-backup-');
    expect(listed.map((s) => [s.id, s.status])).toEqual([
      ['algo-trading-prod-backup-20261120', 'available'],
      ['algo-trading-prod-backup-20261121', 'creating'],
    ]);
    expect(await admin().snapshot('nope')).toBeUndefined();
  });
});
