import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Logger } from 'pino';
import { BROKER_ORDER_CAPS } from '../../../contract/broker-order-caps';
import { type RiskLimits, RiskLimitsSchema } from '../../../contract/risk-limits';
import { DEFAULT_RISK_LIMITS } from '../../../contract/stage';
import { RefreshingCalendar } from '../../common/calendar/calendar-store';
import { migrate } from '../../common/db/migrate';
import { createPool, type DatabaseLocation } from '../../common/db/pool';
import { LocalParameterStore } from '../../common/parameters/local-parameter-store';
import type { ParameterStore } from '../../common/parameters/parameter-store';
import { SsmParameterStore } from '../../common/parameters/ssm-parameter-store';
import { SnsNotifier } from '../../ops/platform/aws/sns-notifier';
import { LocalNotifier } from '../../ops/platform/local/local-platform';
import type { Notifier } from '../../ops/platform/ports';
import { withOrderRateLimit } from './broker/rate-limited-broker';
import { composeVenue } from './compose-broker';
import { wireTradingService } from './compose-service';
import type { TradingConfig, TradingEnv } from './config';
import { BrokerTokenPager } from './health/token-pager';
import { buildServer, type TradingServer } from './http/server';
import { NseSession, SimulatedSession, type TradingSession } from './market/session';
import { Portfolio } from './oms/portfolio';
import { loadStrategyConfigs, MANUAL_STRATEGY_ID } from './strategies/registry';
import type { TradingService } from './trading-service';
import { Universe } from './universe';

async function resolveControlToken(env: TradingEnv): Promise<string> {
  if (env.CONTROL_TOKEN) return env.CONTROL_TOKEN;
  const out = await new SecretsManagerClient({}).send(
    new GetSecretValueCommand({ SecretId: env.CONTROL_TOKEN_SECRET_ARN }),
  );
  const token = out.SecretString ?? '';
  if (token.length < 16)
    throw new Error(
      `control token secret ${env.CONTROL_TOKEN_SECRET_ARN} is shorter than 16 characters`,
    );
  return token;
}

function databaseLocation(env: TradingEnv): DatabaseLocation {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL };
  return {
    secretArn: env.DB_SECRET_ARN as string,
    host: env.DB_HOST as string,
    port: env.DB_PORT as number,
    database: env.DB_NAME,
  };
}

function parameterStore(kind: 'ssm' | 'local', env: TradingEnv): ParameterStore {
  if (kind === 'local') return new LocalParameterStore(env.LOCAL_PARAMETER_FILE as string);
  // One quick attempt per poll: the next poll is a second away, staleness handles the rest.
  return new SsmParameterStore(
    new SSMClient({
      maxAttempts: 2,
      requestHandler: { requestTimeout: 1500, connectionTimeout: 1000 },
    }),
  );
}

/**
 * Where the task pages: the stage's page topic through the SDK's default client, or the local
 * stack's notifications file (what `tradeops` and the dashboard read there). Neither (a local run
 * outside the stack): the page is only logged.
 */
function pageNotifier(env: TradingEnv, log: Logger): Pick<Notifier, 'publish'> {
  if (env.PAGE_TOPIC_ARN)
    return new SnsNotifier(new SNSClient({ maxAttempts: 2 }), { page: env.PAGE_TOPIC_ARN });
  if (env.LOCAL_NOTIFICATIONS_FILE)
    return new LocalNotifier(env.LOCAL_NOTIFICATIONS_FILE, () => undefined);
  return {
    publish: async (topic, subject, message) =>
      log.error({ topic, subject, message }, 'page (no page topic configured)'),
  };
}

export interface ComposeOptions {
  readonly taskId: string;
  readonly log: Logger;
  /** Replaces the configured risk limits (benchmarks measure the order path with wider ones). */
  readonly limitsOverride?: RiskLimits;
}

export interface ComposedTradingService {
  readonly service: TradingService;
  readonly app: TradingServer;
  /** Closes the HTTP server and the database pools (after `service.stop`). */
  close(): Promise<void>;
}

/**
 * Composes the trading service from its configuration: pools, migrations, universe, strategies,
 * session clock, venue and feed (`composeVenue`: paper or Kite), the service (wired by `wireTradingService`) and its HTTP API.
 * One composition for the container, the local stack and the benchmarks.
 */
export async function composeTradingService(
  config: TradingConfig,
  options: ComposeOptions,
): Promise<ComposedTradingService> {
  const { env } = config;
  const { taskId, log } = options;
  const location = databaseLocation(env);
  const onIdleError = (err: Error) =>
    log.error({ err }, 'idle database connection failed; the pool reconnects');
  const db = {
    durable: await createPool(location, {
      applicationName: `trading/${taskId}`,
      max: 10,
      onIdleError,
    }),
    relaxed: await createPool(location, {
      applicationName: `trading/${taskId}/relaxed`,
      max: 10,
      relaxedCommit: true,
      keyedPlans: true,
      onIdleError,
    }),
    // One batch of new orders in flight at a time (`OrderInserts`); the second is a spare.
    orders: await createPool(location, {
      applicationName: `trading/${taskId}/orders`,
      max: 2,
      genericPlans: true,
      onIdleError,
    }),
  };
  const venueLocation = env.PAPER_VENUE_DATABASE_URL
    ? { url: env.PAPER_VENUE_DATABASE_URL }
    : location;
  const venuePool = await createPool(venueLocation, {
    applicationName: `trading/${taskId}/paper-venue`,
    max: 10,
    relaxedCommit: true,
    keyedPlans: true,
    onIdleError,
  });
  // Its own small pool: a slot is not kept waiting behind order inserts (its age counts).
  const ratePool = await createPool(location, {
    applicationName: `trading/${taskId}/order-rate`,
    max: 2,
    onIdleError,
  });
  const migrated = await migrate(db.durable);
  log.info({ applied: migrated.applied }, 'database migrated');

  const limits =
    options.limitsOverride ?? env.RISK_LIMITS ?? RiskLimitsSchema.parse(DEFAULT_RISK_LIMITS);
  const universe = await Universe.load(env.UNIVERSE_FILE);
  const algoIdRules = { mode: env.MODE, broker: env.BROKER, manualAlgoId: env.MANUAL_ALGO_ID };
  const strategies = await loadStrategyConfigs(env.STRATEGIES_FILE, universe, algoIdRules);
  // A broker tag's algo ID tells its strategy (the manual orders' included).
  const algoStrategies = new Map<string, string>([
    ...strategies.flatMap((c) => (c.algoId === undefined ? [] : [[c.algoId, c.id] as const])),
    [env.MANUAL_ALGO_ID, MANUAL_STRATEGY_ID],
  ]);
  // Every task reads the imported calendar (migration 0008) and re-reads it each minute.
  const calendar = await new RefreshingCalendar(db.durable, {
    intervalMs: 60_000,
    onError: (err) =>
      log.warn({ err }, 'market calendar could not be re-read: keeping the last one read'),
  }).start();
  const session: TradingSession =
    config.sessionClock === 'simulated'
      ? new SimulatedSession(env.SESSION_SPEED)
      : new NseSession(calendar);
  const portfolio = new Portfolio();
  const {
    venue,
    feed,
    close: closeVenue,
  } = await composeVenue(config, {
    venuePool,
    universe,
    session,
    portfolio,
    algoStrategies,
    log,
  });
  const broker = withOrderRateLimit(venue, ratePool, {
    bucket: `${env.STAGE}/client`,
    taskId,
    limit: limits.maxOrdersPerSecond,
    brokerCaps: BROKER_ORDER_CAPS[env.BROKER],
    marginMs: limits.orderRateMarginMs,
    onDailyCap: (why) => log.error({ why }, 'exit or cancel not sent: the broker daily cap'),
    onDatabaseError: (err) =>
      log.warn(
        { err },
        'order-rate database unreachable: entries refused, exits on this task share',
      ),
  });
  const { service } = wireTradingService(
    {
      stage: env.STAGE,
      mode: env.MODE,
      taskId: taskId,
      limits,
      flagPollMs: env.FLAG_POLL_MS,
      flagMaxStalenessMs: env.FLAG_MAX_STALENESS_SECONDS * 1000,
      leaseTtlMs: env.LEASE_TTL_MS,
      emf: config.emf,
      metricsIntervalMs: env.METRICS_INTERVAL_MS,
      strategiesFile: env.STRATEGIES_FILE,
      algoIdRules,
      journalDir: env.JOURNAL_DIR ? path.join(env.JOURNAL_DIR, taskId) : undefined,
    },
    {
      db,
      parameters: parameterStore(config.parameterStore, env),
      broker,
      orderRate: broker.limiter,
      feed,
      session,
      universe,
      strategies,
      portfolio,
      log,
    },
  );
  const pager = new BrokerTokenPager({
    stage: env.STAGE,
    taskId,
    broker,
    tokenName: env.BROKER_TOKEN_NAME,
    notifier: pageNotifier(env, log),
    log,
  });
  pager.start();
  const app = buildServer(service, { controlToken: await resolveControlToken(env), log });
  return {
    service,
    app,
    close: async () => {
      pager.stop();
      calendar.stop();
      await closeVenue();
      await app.close();
      await Promise.all([
        db.durable.end(),
        db.relaxed.end(),
        db.orders.end(),
        venuePool.end(),
        ratePool.end(),
      ]);
    },
  };
}
