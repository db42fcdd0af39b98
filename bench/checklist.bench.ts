import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { BrokerHealthView, FeedView, TaskState } from '../contract/trading-api';
import { startLocalPostgres } from '../scripts/local/postgres';
import { seedTrades } from '../scripts/local/seed-trades';
import { migrate } from '../services/common/db/migrate';
import { createPool } from '../services/common/db/pool';
import { MORNING_CHECKS } from '../services/ops/checks/morning-checks';
import { awsOpsContext } from '../services/ops/platform/aws/aws-context';
import { TradingClient } from '../services/ops/platform/trading-client';
import { evaluateChecklist } from '../services/ops/procedures/checklist';
import { summarize } from './support';

const LATENCY_MS = Number(process.env.CHECK_LATENCY_MS ?? 50);
const RUNS = 20;
const DAY = '2026-11-23'; // a Monday
const AT_0845_IST = Date.parse('2026-11-23T03:15:00Z');

/** Answers after LATENCY_MS, like an AWS API across the region or a task across the VPC. */
async function slow<T>(value: T): Promise<T> {
  await delay(LATENCY_MS);
  return value;
}

/** The trading task's answers, each after the simulated latency. */
class SlowTrading extends TradingClient {
  constructor() {
    super(async () => 'token');
  }
  override broker(): Promise<BrokerHealthView> {
    return slow({
      name: 'kite',
      connected: true,
      circuitBreaker: 'CLOSED',
      tokens: [{ name: 'PRIMARY', expiresAt: '2026-11-23T22:00:00Z' }],
    } as BrokerHealthView);
  }
  override feeds(): Promise<FeedView[]> {
    return slow([{ source: 'kite', status: 'FRESH', tick_lag_sec: 0.4 } as FeedView]);
  }
  override state(): Promise<TaskState> {
    return slow({ market: { open: false } } as TaskState);
  }
}

/**
 * The morning checklist with every AWS call and task call answering after LATENCY_MS (the real
 * adapters over aws-sdk-client-mock, the previous-day check against real PostgreSQL): the wall
 * time of a run against the sum of its checks' durations. The checks run at once, so the wall
 * time should be close to the slowest check, not the sum.
 */
async function main() {
  const ecs = mockClient(ECSClient);
  const taskArn = 'arn:aws:ecs:ap-south-1:1:task/algo-trading-prod/t1';
  ecs.on(ListTasksCommand).callsFake(() => slow({ taskArns: [taskArn] }));
  ecs.on(DescribeTasksCommand).callsFake(() =>
    slow({
      tasks: [
        {
          taskArn,
          lastStatus: 'RUNNING',
          attachments: [{ details: [{ name: 'privateIPv4Address', value: '10.0.1.5' }] }],
        },
      ],
    }),
  );
  ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) =>
    slow({
      services: [
        {
          serviceName: input.services[0],
          desiredCount: 2,
          runningCount: 2,
          deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
        },
      ],
    }),
  );
  const cloudwatch = mockClient(CloudWatchClient);
  cloudwatch.on(DescribeAlarmsCommand).callsFake(() => slow({ MetricAlarms: [] }));
  cloudwatch.on(DescribeAlarmHistoryCommand).callsFake(() => slow({ AlarmHistoryItems: [] }));
  cloudwatch
    .on(GetMetricStatisticsCommand)
    .callsFake(() => slow({ Datapoints: [{ Minimum: 60 * 1024 ** 3 }] }));
  const elb = mockClient(ElasticLoadBalancingV2Client);
  elb
    .on(DescribeTargetGroupsCommand)
    .callsFake(() =>
      slow({ TargetGroups: [{ TargetGroupArn: 'arn:aws:elasticloadbalancing:tg' }] }),
    );
  elb.on(DescribeTargetHealthCommand).callsFake(() =>
    slow({
      TargetHealthDescriptions: [
        { Target: { Id: '10.0.1.7', Port: 3000 }, TargetHealth: { State: 'healthy' } },
      ],
    }),
  );
  mockClient(CloudWatchLogsClient)
    .on(FilterLogEventsCommand)
    .callsFake(() => slow({ events: [] }));
  mockClient(SSMClient)
    .on(GetParameterHistoryCommand)
    .callsFake(() =>
      slow({
        Parameters: [{ Value: 'false', Version: 2, LastModifiedDate: new Date(AT_0845_IST) }],
      }),
    );
  mockClient(RDSClient)
    .on(DescribeDBInstancesCommand)
    .callsFake(() =>
      slow({
        DBInstances: [
          {
            DBInstanceStatus: 'available',
            AllocatedStorage: 100,
            LatestRestorableTime: new Date(AT_0845_IST - 300_000),
          },
        ],
      }),
    );

  const dir = mkdtempSync(path.join(os.tmpdir(), 'checklist-bench-'));
  // As root, PostgreSQL runs as `postgres`, which must be able to reach the data directory.
  chmodSync(dir, 0o755);
  const pg = await startLocalPostgres({ dataDir: path.join(dir, 'pg'), persistent: false });
  const pool = await createPool(
    { url: pg.url('postgres') },
    { max: 4, applicationName: 'bench-checklist' },
  );
  try {
    await migrate(pool);
    await seedTrades(pool, { day: '2026-11-20', count: 10_000 });
    const ctx = {
      ...awsOpsContext({
        stage: 'prod',
        source: 'lambda',
        region: 'ap-south-1',
        bucket: 'algo-trading-prod-data-123456789012',
        topics: {
          page: 'arn:aws:sns:ap-south-1:1:page',
          notify: 'arn:aws:sns:ap-south-1:1:notify',
        },
        db: pool,
        settings: {
          brokerTokens: ['PRIMARY'],
          registeredEgressIps: ['13.1.2.3'],
          egressIps: ['13.1.2.3'],
        },
      }),
      trading: new SlowTrading(),
      now: () => AT_0845_IST,
    };

    const walls: number[] = [];
    const sums: number[] = [];
    let last: Awaited<ReturnType<typeof evaluateChecklist>> | undefined;
    for (let i = 0; i < RUNS + 2; i += 1) {
      const started = performance.now();
      last = await evaluateChecklist(ctx, MORNING_CHECKS, {
        procedure: 'morning-checklist',
        readiness: true,
        date: DAY,
        triggeredBy: 'bench',
      });
      if (i < 2) continue; // warm-up: first SDK calls and connections
      walls.push(performance.now() - started);
      sums.push(last.results.reduce((sum, r) => sum + r.durationMs, 0));
    }
    if (!last) throw new Error('no run');
    const wall = summarize(walls);
    const sum = summarize(sums);
    const slowest = Math.max(...last.results.map((r) => r.durationMs));
    console.log(
      `morning checklist, ${last.results.length} checks, ${LATENCY_MS} ms per simulated call, n=${RUNS}: ${last.status}`,
    );
    for (const r of last.results)
      console.log(`  ${r.name.padEnd(20)} ${r.status.padEnd(7)} ${r.durationMs.toFixed(0)} ms`);
    console.log(
      `wall p50 ${wall.p50.toFixed(0)} ms p99 ${wall.p99.toFixed(0)} ms; sum of checks p50 ${sum.p50.toFixed(0)} ms; slowest check (last run) ${slowest.toFixed(0)} ms; wall/sum ${(wall.p50 / sum.p50).toFixed(2)}`,
    );
  } finally {
    await pool.end();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
