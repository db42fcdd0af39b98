import * as z from 'zod';
import { brokerSecretNames, TokenNameSchema } from './broker-tokens';
import type { AnyStage } from './names';

/** The brokers a trading task can trade through; LIVE needs a real one (any but paper). */
export const BrokerKindSchema = z.enum(['paper', 'kite', 'upstox', 'angelone']);
export type BrokerKind = z.output<typeof BrokerKindSchema>;

/** A Kite access token's name: upper case, as `BROKER_TOKEN_NAMES` and the checks spell it. */
export const KiteTokenNameSchema = TokenNameSchema;

/** The name a single-session desk uses. */
export const DEFAULT_KITE_TOKEN_NAME = 'PRIMARY';

/** Secrets Manager names of a stage's Kite secrets: the app's key and secret, and each token. */
export function kiteSecretNames(stage: AnyStage) {
  const names = brokerSecretNames(stage, 'kite');
  return {
    prefix: names.prefix,
    /** `{api_key, api_secret}`: read by the tasks and the login, written by a person. */
    app: names.app(DEFAULT_KITE_TOKEN_NAME),
    /** `{access_token, user_id, login_time, expires_at}`, written by `tradeops token login`. */
    token: names.token,
  } as const;
}

/** The Kite Connect app's credentials; never printed, logged or put in a template. */
export const KiteAppSchema = z
  .object({ api_key: z.string().min(1), api_secret: z.string().min(1) })
  .strict();
export type KiteApp = z.output<typeof KiteAppSchema>;

/** One stored access token, as `tradeops token login` writes it. */
export const KiteTokenSchema = z
  .object({
    access_token: z.string().min(1),
    user_id: z.string().min(1),
    /** ISO 8601. */
    login_time: z.iso.datetime({ offset: true }),
    /** ISO 8601: about 06:00 IST the day after the login. */
    expires_at: z.iso.datetime({ offset: true }),
  })
  .strict();
export type KiteToken = z.output<typeof KiteTokenSchema>;

const IST_OFFSET_MS = 330 * 60_000;
const HOUR_MS = 3_600_000;

/**
 * When a Kite access token logged in at `loginMs` stops working: the next 06:00 IST (Kite
 * flushes every session then, whatever the login time).
 */
export function kiteTokenExpiry(loginMs: number): number {
  const ist = loginMs + IST_OFFSET_MS;
  const istMidnight = ist - (((ist % (24 * HOUR_MS)) + 24 * HOUR_MS) % (24 * HOUR_MS));
  let expiry = istMidnight + 6 * HOUR_MS;
  if (expiry <= ist) expiry += 24 * HOUR_MS;
  return expiry - IST_OFFSET_MS;
}
