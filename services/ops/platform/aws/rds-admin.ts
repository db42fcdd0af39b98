import { type CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateDBSnapshotCommand,
  type DBSnapshot,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import type { DatabaseAdmin, DatabaseDescription, DatabaseSnapshot } from '../ports';

const snapshotOf = (s: DBSnapshot): DatabaseSnapshot => ({
  id: s.DBSnapshotIdentifier ?? '',
  status: s.Status ?? 'unknown',
  createdAt: s.SnapshotCreateTime?.toISOString(),
  sizeGiB: s.AllocatedStorage,
  percentProgress: s.PercentProgress,
});

/** The stage's RDS instance: its state, its manual snapshots, restores to a new instance. */
export class RdsDatabaseAdmin implements DatabaseAdmin {
  constructor(
    private readonly rds: RDSClient,
    private readonly cloudwatch: CloudWatchClient,
    readonly instanceId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async describe(): Promise<DatabaseDescription> {
    const db = await this.instance();
    // RDS reports free storage only as a metric: the last 10 minutes' minimum.
    const end = new Date(this.now());
    const stats = await this.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/RDS',
        MetricName: 'FreeStorageSpace',
        Dimensions: [{ Name: 'DBInstanceIdentifier', Value: this.instanceId }],
        StartTime: new Date(end.getTime() - 10 * 60_000),
        EndTime: end,
        Period: 300,
        Statistics: ['Minimum'],
      }),
    );
    const latest = [...(stats.Datapoints ?? [])].sort(
      (a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0),
    )[0];
    return {
      status: db.DBInstanceStatus ?? 'unknown',
      engineVersion: db.EngineVersion,
      multiAz: db.MultiAZ,
      allocatedStorageGiB: db.AllocatedStorage,
      freeStorageBytes: latest?.Minimum,
      latestRestorableTime: db.LatestRestorableTime?.toISOString(),
    };
  }

  async snapshots(prefix: string): Promise<DatabaseSnapshot[]> {
    const out: DatabaseSnapshot[] = [];
    let marker: string | undefined;
    do {
      const page = await this.rds.send(
        new DescribeDBSnapshotsCommand({
          DBInstanceIdentifier: this.instanceId,
          SnapshotType: 'manual',
          Marker: marker,
          MaxRecords: 100,
        }),
      );
      for (const s of page.DBSnapshots ?? [])
        if (s.DBSnapshotIdentifier?.startsWith(prefix)) out.push(snapshotOf(s));
      marker = page.Marker;
    } while (marker);
    return out.sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
  }

  async snapshot(id: string): Promise<DatabaseSnapshot | undefined> {
    try {
      const out = await this.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }));
      const s = out.DBSnapshots?.[0];
      return s ? snapshotOf(s) : undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'DBSnapshotNotFoundFault') return undefined;
      throw error;
    }
  }

  async createSnapshot(id: string): Promise<void> {
    await this.rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: this.instanceId,
        DBSnapshotIdentifier: id,
        Tags: [{ Key: 'CreatedBy', Value: 'algo-trading-ops' }],
      }),
    );
  }

  async deleteSnapshot(id: string): Promise<void> {
    await this.rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
  }

  /**
   * A new instance from the snapshot, in the live instance's subnets, security groups and
   * parameter group, single-AZ and not public: a copy to inspect or to switch to, never the
   * live instance overwritten.
   */
  async restoreSnapshot(id: string, newInstanceId: string): Promise<string> {
    const live = await this.instance();
    const out = await this.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: newInstanceId,
        DBSnapshotIdentifier: id,
        DBInstanceClass: live.DBInstanceClass,
        DBSubnetGroupName: live.DBSubnetGroup?.DBSubnetGroupName,
        VpcSecurityGroupIds: live.VpcSecurityGroups?.flatMap((g) =>
          g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [],
        ),
        DBParameterGroupName: live.DBParameterGroups?.[0]?.DBParameterGroupName,
        Port: live.Endpoint?.Port ?? live.DbInstancePort,
        MultiAZ: false,
        PubliclyAccessible: false,
        EnableIAMDatabaseAuthentication: live.IAMDatabaseAuthenticationEnabled,
        DeletionProtection: false,
        CopyTagsToSnapshot: true,
        Tags: [
          { Key: 'RestoredFrom', Value: id },
          { Key: 'CreatedBy', Value: 'algo-trading-ops' },
        ],
      }),
    );
    const status = out.DBInstance?.DBInstanceStatus ?? 'creating';
    return `RDS instance ${newInstanceId} (${status}; its endpoint appears when it is available)`;
  }

  private async instance() {
    const out = await this.rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: this.instanceId }),
    );
    const db = out.DBInstances?.[0];
    if (!db) throw new Error(`RDS instance ${this.instanceId} not found`);
    return db;
  }
}
