import * as z from 'zod';
import type { AnyStage } from './names';

/**
 * The brokers whose access tokens the token operations look after (the paper broker has none).
 * Each has its own login in the registry (services/common/tokens/token-login-registry.ts).
 */
export const TOKEN_BROKERS = ['kite', 'upstox', 'angelone'] as const;
export const TokenBrokerSchema = z.enum(TOKEN_BROKERS);
export type TokenBroker = z.output<typeof TokenBrokerSchema>;

/** A named token: upper case, as the Upstox runbook spells them (PRIMARY, WEBSOCKET1, ...). */
export const TokenNameSchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{0,31}$/, 'expected a token name such as PRIMARY');

/** The name a single-session desk uses, and the trading token of every default set. */
export const DEFAULT_TOKEN_NAME = 'PRIMARY';

/**
 * A stage's tokens at one broker: their names, the one the trading service places orders with
 * and the ones its data streams use. Each name is its own login (an Upstox token is its own API
 * app). A failed generation stops every generation at that broker for `cooldownMinutes`.
 */
export const StageTokensSchema = z
  .object({
    broker: TokenBrokerSchema,
    names: z.array(TokenNameSchema).min(1),
    trades: TokenNameSchema,
    streams: z.array(TokenNameSchema),
    cooldownMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60),
  })
  .strict()
  .refine((t) => new Set(t.names).size === t.names.length, {
    message: 'a token name is listed twice',
    path: ['names'],
  })
  .refine((t) => t.names.includes(t.trades), {
    message: 'the trading token must be one of the names',
    path: ['trades'],
  })
  .refine((t) => t.streams.every((s) => t.names.includes(s)), {
    message: 'every streaming token must be one of the names',
    path: ['streams'],
  });
export type StageTokens = z.output<typeof StageTokensSchema>;

/**
 * What each broker's stage uses unless its config says otherwise. Upstox: the runbook's six
 * tokens and its 11-minute cooldown; Kite and Angel One: one session.
 */
export const DEFAULT_STAGE_TOKENS: Readonly<Record<TokenBroker, StageTokens>> = {
  kite: {
    broker: 'kite',
    names: ['PRIMARY'],
    trades: 'PRIMARY',
    streams: ['PRIMARY'],
    cooldownMinutes: 5,
  },
  upstox: {
    broker: 'upstox',
    names: ['PRIMARY', 'WEBSOCKET1', 'WEBSOCKET2', 'WEBSOCKET3', 'OPTIONCHAIN1', 'OPTIONCHAIN2'],
    trades: 'PRIMARY',
    streams: ['WEBSOCKET1', 'WEBSOCKET2', 'WEBSOCKET3'],
    cooldownMinutes: 11,
  },
  angelone: {
    broker: 'angelone',
    names: ['PRIMARY'],
    trades: 'PRIMARY',
    streams: ['PRIMARY'],
    cooldownMinutes: 5,
  },
};

/**
 * A stage's token set for each broker, keyed by the broker (the stage config's `brokerTokens`):
 * the one of the broker it deploys with is used.
 */
export const BrokerTokenSetsSchema = z
  .object({ kite: StageTokensSchema, upstox: StageTokensSchema, angelone: StageTokensSchema })
  .strict()
  .refine((sets) => TOKEN_BROKERS.every((broker) => sets[broker].broker === broker), {
    message: "each broker's token set must name that broker",
  });
export type BrokerTokenSets = z.output<typeof BrokerTokenSetsSchema>;

/**
 * How each broker logs in (the login registry's `mode` must agree): `interactive` OAuth needs a
 * person, so the token check pages; `unattended` (Angel One's TOTP) lets the token check renew,
 * so its function may write the broker's token secrets.
 */
export const TOKEN_LOGIN_MODES: Readonly<Record<TokenBroker, 'interactive' | 'unattended'>> = {
  kite: 'interactive',
  upstox: 'interactive',
  angelone: 'unattended',
};

/** The tokens a stage cannot trade without: the trading one and the streaming ones. */
export function requiredTokens(tokens: StageTokens): string[] {
  return tokens.names.filter((n) => n === tokens.trades || tokens.streams.includes(n));
}

/**
 * Secrets Manager names of a stage's secrets at a broker, `/algo-trading/<stage>/broker/<broker>/`:
 * each token under its name; the app credentials under `app` (Kite, Angel One: one app) or
 * `app-<NAME>` (Upstox: each token is its own API app).
 */
export function brokerSecretNames(stage: AnyStage, broker: TokenBroker) {
  const prefix = `/algo-trading/${stage}/broker/${broker}`;
  const appPerToken = broker === 'upstox';
  return {
    prefix,
    appPerToken,
    /** The credentials the login of `name` uses: read by the login, written by a person. */
    app: (name: string) =>
      appPerToken ? `${prefix}/app-${TokenNameSchema.parse(name)}` : `${prefix}/app`,
    /** A `BrokerToken`, written by a login. */
    token: (name: string) => `${prefix}/${TokenNameSchema.parse(name)}`,
  } as const;
}

/**
 * One stored session, whatever the broker: what `tradeops token login` (and Angel One's renewal)
 * writes, and what the trading tasks read.
 */
export const BrokerTokenSchema = z
  .object({
    access_token: z.string().min(1),
    user_id: z.string().min(1),
    /** ISO 8601. */
    login_time: z.iso.datetime({ offset: true }),
    /** ISO 8601. */
    expires_at: z.iso.datetime({ offset: true }),
    /** Angel One: renews the JWT (generateTokens) without a new TOTP login. */
    refresh_token: z.string().min(1).optional(),
    /** Angel One: authenticates the WebSocket V2 feed. */
    feed_token: z.string().min(1).optional(),
  })
  .strict();
export type BrokerToken = z.output<typeof BrokerTokenSchema>;

/** The states `tradeops token status` and the token check report. */
export const TOKEN_STATES = ['VALID', 'EXPIRED', 'MISSING', 'COOLDOWN'] as const;
export type TokenState = (typeof TOKEN_STATES)[number];

/** The command that regenerates a stage's invalid tokens at a broker (paged by the token check). */
export function tokenLoginCommand(stage: AnyStage, broker: TokenBroker, name?: string): string {
  return `tradeops token login ${stage} --broker ${broker} ${name ? `--name ${name}` : '--all-invalid'}`;
}

/**
 * A broker's default token set with the stage's own names (the local stack's LOCAL_BROKER_TOKENS,
 * an old stage's `brokerTokens`): the trading token stays the default's if named, else the first.
 */
export function stageTokensFor(broker: TokenBroker, names?: readonly string[]): StageTokens {
  const base = DEFAULT_STAGE_TOKENS[broker];
  if (!names?.length) return base;
  return StageTokensSchema.parse({
    ...base,
    names: [...new Set(names)],
    trades: names.includes(base.trades) ? base.trades : names[0],
    streams: base.streams.filter((s) => names.includes(s)),
  });
}
