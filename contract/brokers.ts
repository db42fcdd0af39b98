import * as z from 'zod';
import type { TokenBroker } from './broker-tokens';

/** The brokers a trading task can trade through; LIVE needs a real one (any but paper). */
export const BrokerKindSchema = z.enum(['paper', 'kite', 'upstox', 'angelone']);
export type BrokerKind = z.output<typeof BrokerKindSchema>;

/** The Kite Connect app's credentials (one app for every named token). */
export const KiteAppSchema = z
  .object({ api_key: z.string().min(1), api_secret: z.string().min(1) })
  .strict();
export type KiteApp = z.output<typeof KiteAppSchema>;

/** An Upstox API app: one per named token at the desk (`app-<NAME>`). */
export const UpstoxAppSchema = z
  .object({
    client_id: z.string().min(1),
    client_secret: z.string().min(1),
    /** Must equal the app's registered redirect URL, or Upstox refuses the login. */
    redirect_uri: z.url(),
  })
  .strict();
export type UpstoxApp = z.output<typeof UpstoxAppSchema>;

/** An Angel One SmartAPI app and the account it logs in unattended. */
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

/** Each broker's app secret, as a person stores it; never printed, logged or put in a template. */
export const BROKER_APP_SCHEMAS = {
  kite: KiteAppSchema,
  upstox: UpstoxAppSchema,
  angelone: AngelOneAppSchema,
} as const satisfies Record<TokenBroker, z.ZodType>;
export type BrokerApp<B extends TokenBroker> = z.output<(typeof BROKER_APP_SCHEMAS)[B]>;

const IST_OFFSET_MS = 330 * 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The first `hourIst` o'clock IST strictly after `loginMs` (epoch ms). */
function nextIstHour(loginMs: number, hourIst: number): number {
  const ist = loginMs + IST_OFFSET_MS;
  const istMidnight = ist - (((ist % DAY_MS) + DAY_MS) % DAY_MS);
  let at = istMidnight + hourIst * HOUR_MS;
  if (at <= ist) at += DAY_MS;
  return at - IST_OFFSET_MS;
}

/** A Kite access token dies at the next 06:00 IST (Kite flushes every session then). */
export const kiteTokenExpiry = (loginMs: number): number => nextIstHour(loginMs, 6);

/** An Upstox access token dies at the next 03:30 IST, whatever the time of the login. */
export const upstoxTokenExpiry = (loginMs: number): number => nextIstHour(loginMs, 3.5);
