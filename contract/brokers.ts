import * as z from 'zod';
import { KiteTokenNameSchema } from './kite';
import type { AnyStage } from './names';

/** The live brokers besides Kite whose secrets a stage keeps the same way. */
export const LiveBrokerSchema = z.enum(['upstox', 'angelone']);
export type LiveBroker = z.output<typeof LiveBrokerSchema>;

/** Secrets Manager names of a stage's secrets at one broker: the app and each named token. */
export function brokerSecretNames(stage: AnyStage, broker: LiveBroker) {
  const prefix = `/algo-trading/${stage}/broker/${broker}`;
  return {
    prefix,
    app: `${prefix}/app`,
    token: (name: string) => `${prefix}/${KiteTokenNameSchema.parse(name)}`,
  } as const;
}

/** An Upstox API app (one per named token at the desk); never printed or logged. */
export const UpstoxAppSchema = z
  .object({
    client_id: z.string().min(1),
    client_secret: z.string().min(1),
    /** Must equal the app's registered redirect URL, or Upstox refuses the login. */
    redirect_uri: z.url(),
  })
  .strict();
export type UpstoxApp = z.output<typeof UpstoxAppSchema>;

/** An Angel One SmartAPI app and the account it logs in unattended; never printed or logged. */
export const AngelOneAppSchema = z
  .object({
    api_key: z.string().min(1),
    client_code: z.string().min(1),
    pin: z.string().regex(/^\d{4,6}$/, 'expected the 4-6 digit PIN'),
    /** The TOTP seed (base32) from enabling TOTP on the account. */
    totp_secret: z.string().regex(/^[A-Z2-7]+=*$/i, 'expected a base32 TOTP seed'),
  })
  .strict();
export type AngelOneApp = z.output<typeof AngelOneAppSchema>;

/** One stored session at a broker, as a login writes it. */
export const BrokerTokenSchema = z
  .object({
    access_token: z.string().min(1),
    user_id: z.string().min(1),
    /** ISO 8601. */
    login_time: z.iso.datetime({ offset: true }),
    /** ISO 8601. */
    expires_at: z.iso.datetime({ offset: true }),
    /** Angel One: renews the JWT (generateTokens). */
    refresh_token: z.string().min(1).optional(),
    /** Angel One: authenticates the WebSocket V2 feed. */
    feed_token: z.string().min(1).optional(),
  })
  .strict();
export type BrokerToken = z.output<typeof BrokerTokenSchema>;

const IST_OFFSET_MS = 330 * 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * When an Upstox access token obtained at `loginMs` stops working: 03:30 IST on the day after
 * the login, whatever the time of the login (Upstox's Get Token page), except that one obtained
 * before 03:30 IST dies at 03:30 the same day.
 */
export function upstoxTokenExpiry(loginMs: number): number {
  const ist = loginMs + IST_OFFSET_MS;
  const istMidnight = ist - (((ist % DAY_MS) + DAY_MS) % DAY_MS);
  let expiry = istMidnight + 3.5 * HOUR_MS;
  if (expiry <= ist) expiry += DAY_MS;
  return expiry - IST_OFFSET_MS;
}
