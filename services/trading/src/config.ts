import * as z from 'zod';
import {
  AlgoIdSchema,
  algoIdTagProblem,
  BROKER_TAG_BUDGETS,
  GENERIC_ALGO_ID,
} from '../../../contract/algo-id';
import { DEFAULT_TOKEN_NAME, TokenNameSchema } from '../../../contract/broker-tokens';
import { BrokerKindSchema } from '../../../contract/brokers';
import { RiskLimitsSchema } from '../../../contract/risk-limits';
import { booleanText, jsonText, parseOrThrow } from '../../../contract/validation';
import { BrokerStrategiesSchema } from './broker/order-tag';

/** The trading service's environment. Parsed once at start; a bad value stops the start. */
export const TradingEnvSchema = z
  .object({
    STAGE: z.enum(['dev', 'staging', 'prod', 'local']),
    MODE: z.enum(['PAPER', 'LIVE']).default('PAPER'),
    LIVE_CONFIRMATION: z.string().optional(),
    HOST: z.string().default('0.0.0.0'),
    PORT: z.coerce.number().int().min(1).max(65_535).default(8000),
    /** Default: the ECS task id (from the task metadata endpoint), else host and pid. */
    TASK_ID: z.string().min(1).optional(),
    ECS_CONTAINER_METADATA_URI_V4: z.url().optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),

    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    DB_SECRET_ARN: z.string().startsWith('arn:').optional(),
    DB_HOST: z.string().optional(),
    DB_PORT: z.coerce.number().int().optional(),
    DB_NAME: z.string().default('algotrading'),
    /**
     * The paper venue's books on a PostgreSQL of their own (a fault drill: a real broker does not
     * go down with our database). Its paper schema must be migrated. @default the service's
     */
    PAPER_VENUE_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),

    PARAMETER_STORE: z.enum(['ssm', 'local']).optional(),
    LOCAL_PARAMETER_FILE: z.string().optional(),
    FLAG_POLL_MS: z.coerce.number().int().min(100).max(10_000).default(1000),
    FLAG_MAX_STALENESS_SECONDS: z.coerce.number().int().min(1).max(60).default(5),

    CONTROL_TOKEN: z.string().min(16).optional(),
    CONTROL_TOKEN_SECRET_ARN: z.string().startsWith('arn:').optional(),

    RISK_LIMITS: jsonText(RiskLimitsSchema).optional(),
    /** Named broker access tokens, comma-separated. */
    BROKER_TOKEN_NAMES: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/)).min(1))
      .optional(),
    UNIVERSE_FILE: z.string().optional(),
    STRATEGIES_FILE: z.string().optional(),

    FEED: z.enum(['simulated', 'csv']).default('simulated'),
    FEED_CSV_FILE: z.string().optional(),
    FEED_SEED: z.coerce.number().int().default(42),
    FEED_TICK_MS: z.coerce.number().int().min(10).max(60_000).default(250),
    SESSION_CLOCK: z.enum(['nse', 'simulated']).optional(),
    SESSION_SPEED: z.coerce.number().min(1).max(600).default(1),

    /** Who the orders go to: the paper venue (MODE=PAPER) or a live broker (MODE=LIVE). */
    BROKER: BrokerKindSchema.default('paper'),
    /** The live broker's stored session the task uses (`tradeops token login --name`). */
    BROKER_TOKEN_NAME: TokenNameSchema.default(DEFAULT_TOKEN_NAME),
    /** The live broker's secrets. @default local on the local stack, else secrets-manager */
    BROKER_SECRET_STORE: z.enum(['secrets-manager', 'local']).optional(),
    /** The local secret store's folder (the local stack's `<dir>/secrets/<broker>`). */
    BROKER_LOCAL_SECRET_DIR: z.string().min(1).optional(),
    BROKER_TOKEN_POLL_MS: z.coerce.number().int().min(500).max(300_000).default(15_000),
    /** @default https://api.kite.trade (the local stack: its simulator) */
    KITE_API_ROOT: z.url({ protocol: /^https?$/ }).optional(),
    /** @default wss://ws.kite.trade/ */
    KITE_TICKER_ROOT: z.url({ protocol: /^wss?$/ }).optional(),
    /** Strategy id -> `{product}` at the live broker (Kite MIS/CNC). @default INTRADAY */
    BROKER_STRATEGIES: jsonText(BrokerStrategiesSchema).optional(),
    /**
     * The exchange algo ID the operator's manual orders carry (SEBI treats every API order as
     * algo): the generic one unless the exchange issued the desk another. No strategy may share it.
     */
    MANUAL_ALGO_ID: AlgoIdSchema.default(GENERIC_ALGO_ID),
    /** @default https://api.upstox.com (the local stack: its simulator) */
    UPSTOX_API_ROOT: z.url({ protocol: /^https?$/ }).optional(),
    /** Placement, modify, cancel. @default https://api-hft.upstox.com, or UPSTOX_API_ROOT when set */
    UPSTOX_ORDER_ROOT: z.url({ protocol: /^https?$/ }).optional(),
    /** SmartAPI's REST root. @default https://apiconnect.angelone.in (the local stack: its simulator) */
    ANGELONE_API_ROOT: z.url({ protocol: /^https?$/ }).optional(),
    /** @default the SDK's wss://tns.angelone.in/smart-order-update */
    ANGELONE_ORDER_STREAM_URL: z.url({ protocol: /^wss?$/ }).optional(),
    /** @default the SDK's wss://smartapisocket.angelone.in/smart-stream */
    ANGELONE_FEED_URL: z.url({ protocol: /^wss?$/ }).optional(),
    /** The static IP registered with Angel One, sent as `X-ClientPublicIP` (required with BROKER=angelone). */
    ANGELONE_PUBLIC_IP: z.ipv4().optional(),
    /** The P1 topic the task pages itself on (a refused broker token). Required outside local. */
    PAGE_TOPIC_ARN: z.string().startsWith('arn:').optional(),
    /** The local stack's notification sink (`<dir>/notifications.jsonl`), in place of SNS. */
    LOCAL_NOTIFICATIONS_FILE: z.string().min(1).optional(),

    PAPER_SLIPPAGE_BPS: z.coerce.number().min(0).max(500).default(5),
    PAPER_LATENCY_MS: z.coerce.number().int().min(0).max(10_000).default(20),
    PAPER_PARTIAL_FILL_PROBABILITY: z.coerce.number().min(0).max(1).default(0.2),

    /** Renewed every fifth of it; a dead task's strategies move within about 1.2 TTL. */
    LEASE_TTL_MS: z.coerce.number().int().min(1000).max(120_000).default(2000),
    /**
     * Folder for the outage journal and audit spool; each task uses `<JOURNAL_DIR>/<task id>`.
     * @default <tmpdir>/algo-trading-journal
     */
    JOURNAL_DIR: z.string().min(1).optional(),
    METRICS_EMF: booleanText.optional(),
    METRICS_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
    SHUTDOWN_DEADLINE_MS: z.coerce.number().int().min(1000).max(600_000).default(100_000),
  })
  .superRefine((env, ctx) => {
    if (!env.DATABASE_URL && !(env.DB_SECRET_ARN && env.DB_HOST && env.DB_PORT)) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'set DATABASE_URL, or DB_SECRET_ARN with DB_HOST and DB_PORT',
      });
    }
    if (!env.CONTROL_TOKEN && !env.CONTROL_TOKEN_SECRET_ARN) {
      ctx.addIssue({
        code: 'custom',
        path: ['CONTROL_TOKEN'],
        message: 'set CONTROL_TOKEN (16+ characters) or CONTROL_TOKEN_SECRET_ARN',
      });
    }
    const store = env.PARAMETER_STORE ?? (env.STAGE === 'local' ? 'local' : 'ssm');
    if (store === 'local' && !env.LOCAL_PARAMETER_FILE) {
      ctx.addIssue({
        code: 'custom',
        path: ['LOCAL_PARAMETER_FILE'],
        message: 'required with a local parameter store',
      });
    }
    if (env.STAGE !== 'local' && !env.RISK_LIMITS) {
      ctx.addIssue({
        code: 'custom',
        path: ['RISK_LIMITS'],
        message: 'required outside the local stack (the stage config sets it)',
      });
    }
    if (env.STAGE !== 'local' && !env.PAGE_TOPIC_ARN) {
      ctx.addIssue({
        code: 'custom',
        path: ['PAGE_TOPIC_ARN'],
        message: 'required outside the local stack: a refused broker token pages on it',
      });
    }
    if (env.MODE === 'LIVE' && env.BROKER === 'paper') {
      ctx.addIssue({
        code: 'custom',
        path: ['BROKER'],
        message:
          'MODE=LIVE needs a live broker (BROKER=kite, upstox or angelone): the paper broker trades nothing real',
      });
    }
    if (env.BROKER !== 'paper' && env.MODE !== 'LIVE') {
      ctx.addIssue({
        code: 'custom',
        path: ['BROKER'],
        message: `BROKER=${env.BROKER} places real orders: it needs MODE=LIVE and its confirmation`,
      });
    }
    const manualProblem =
      env.BROKER === 'paper'
        ? undefined
        : algoIdTagProblem(env.MANUAL_ALGO_ID, BROKER_TAG_BUDGETS[env.BROKER], env.BROKER);
    if (env.MODE === 'LIVE' && manualProblem) {
      ctx.addIssue({
        code: 'custom',
        path: ['MANUAL_ALGO_ID'],
        message: `${manualProblem}: manual orders could not be sent`,
      });
    }
    const brokerStore =
      env.BROKER_SECRET_STORE ?? (env.STAGE === 'local' ? 'local' : 'secrets-manager');
    if (env.BROKER !== 'paper' && brokerStore === 'local' && !env.BROKER_LOCAL_SECRET_DIR) {
      ctx.addIssue({
        code: 'custom',
        path: ['BROKER_LOCAL_SECRET_DIR'],
        message: `required with a local ${env.BROKER} secret store`,
      });
    }
    if (env.BROKER === 'angelone' && !env.ANGELONE_PUBLIC_IP) {
      ctx.addIssue({
        code: 'custom',
        path: ['ANGELONE_PUBLIC_IP'],
        message: "required with BROKER=angelone: the desk's static IP registered with Angel One",
      });
    }
    if (env.FEED === 'csv' && !env.FEED_CSV_FILE) {
      ctx.addIssue({ code: 'custom', path: ['FEED_CSV_FILE'], message: 'required with FEED=csv' });
    }
  });

export type TradingEnv = z.output<typeof TradingEnvSchema>;

/** Everything the service needs, resolved from the environment. */
export interface TradingConfig {
  readonly env: TradingEnv;
  readonly parameterStore: 'ssm' | 'local';
  readonly sessionClock: 'nse' | 'simulated';
  readonly emf: boolean;
  /** Where the live broker's secrets live. */
  readonly brokerSecretStore: 'secrets-manager' | 'local';
}

export function loadTradingConfig(source: NodeJS.ProcessEnv): TradingConfig {
  const env = parseOrThrow(TradingEnvSchema, source, 'trading service environment');
  const local = env.STAGE === 'local';
  return {
    env,
    parameterStore: env.PARAMETER_STORE ?? (local ? 'local' : 'ssm'),
    // Locally the market is open whenever a newcomer runs it; AWS stages follow the NSE.
    sessionClock: env.SESSION_CLOCK ?? (local ? 'simulated' : 'nse'),
    emf: env.METRICS_EMF ?? !local,
    brokerSecretStore: env.BROKER_SECRET_STORE ?? (local ? 'local' : 'secrets-manager'),
  };
}
