import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type {
  BrokerHealthView as BrokerView,
  FeedView,
  TaskState as StateView,
} from '../../contract/trading-api';
import { MarketCalendar } from '../../services/common/market-calendar';
import type { Check, CheckOutcome } from '../../services/ops/checks/framework';
import type { ChecklistContext } from '../../services/ops/checks/support';
import { awsOpsContext } from '../../services/ops/platform/aws/aws-context';
import { TradingClient } from '../../services/ops/platform/trading-client';

/**
 * The prod stage's ops context over mocked AWS clients, for the checks and procedures that run in
 * the Lambdas. Each test file that imports this gets its own mocks (jest loads modules per file);
 * call `resetAwsOpsFixtures` before each test.
 */
export const ecs = mockClient(ECSClient);
export const cloudwatch = mockClient(CloudWatchClient);
export const logs = mockClient(CloudWatchLogsClient);
export const ssm = mockClient(SSMClient);
export const rds = mockClient(RDSClient);
export const s3 = mockClient(S3Client);
export const sns = mockClient(SNSClient);
export const elb = mockClient(ElasticLoadBalancingV2Client);

export const DAY = '2026-11-23'; // a Monday; the previous trading day is Friday 2026-11-20
export const AT_0845_IST = Date.parse('2026-11-23T03:15:00Z');
/** 16:30 IST on the same day: the backup's time, after the close. */
export const AT_1630_IST = Date.parse('2026-11-23T11:00:00Z');

/** The trading service's answers, without a service: the checks only read them. */
export class FakeTrading extends TradingClient {
  broker_: BrokerView = {
    name: 'kite',
    connected: true,
    circuitBreaker: 'CLOSED',
    tokens: [
      { name: 'PRIMARY', expiresAt: '2026-11-23T22:00:00Z' },
      { name: 'WEBSOCKET1', expiresAt: '2026-11-23T22:00:00Z' },
    ],
  } as BrokerView;
  feeds_: FeedView[] = [
    { source: 'kite', status: 'FRESH', tick_lag_sec: 0.4, depth_lag_sec: 0.6 } as FeedView,
  ];
  marketOpen = false;

  constructor() {
    super(async () => 'token');
  }
  override async broker(): Promise<BrokerView> {
    return this.broker_;
  }
  override async feeds(): Promise<FeedView[]> {
    return this.feeds_;
  }
  override async state(): Promise<StateView> {
    return { market: { open: this.marketOpen } } as StateView;
  }
}

/** The fake trading service the current test's context asks; a new one before each test. */
export let trading: FakeTrading;

export function context(overrides: Partial<ChecklistContext> = {}): ChecklistContext {
  const base = awsOpsContext({
    stage: 'prod',
    source: 'lambda',
    region: 'ap-south-1',
    bucket: 'algo-trading-prod-data-123456789012',
    topics: { page: 'arn:aws:sns:ap-south-1:1:page', notify: 'arn:aws:sns:ap-south-1:1:notify' },
    settings: {
      brokerTokens: ['PRIMARY', 'WEBSOCKET1'],
      registeredEgressIps: ['13.1.2.3', '13.1.2.4'],
      egressIps: ['13.1.2.3', '13.1.2.4'],
    },
  });
  return {
    ...base,
    trading,
    now: () => AT_0845_IST,
    sleep: async () => undefined,
    day: DAY,
    calendar: new MarketCalendar(),
    ...overrides,
  };
}

export const run = (check: Check<ChecklistContext>, ctx = context()): Promise<CheckOutcome> =>
  check.run(ctx, new AbortController().signal);

/** Resets every mock, answers ECS ListTasks with no tasks, and makes a new fake trading service. */
export function resetAwsOpsFixtures(): void {
  for (const m of [ecs, cloudwatch, logs, ssm, rds, s3, sns, elb]) m.reset();
  trading = new FakeTrading();
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
}
