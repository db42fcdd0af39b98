import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Pool, PoolConfig } from 'pg';
import * as z from 'zod';
import { parseOrThrow } from '../../../contract/validation';
import { afterRequestsSent, deferredModule } from '../load-module';
import { secretReader } from '../secrets';

/** Where the database is: a URL (local stack, tests) or the RDS secret (AWS). */
export type DatabaseLocation =
  | { readonly url: string }
  | {
      readonly secretArn: string;
      readonly host: string;
      readonly port: number;
      readonly database: string;
    };

const RdsSecretSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

// Rotation replaces the password; new connections pick it up within this long.
const SECRET_TTL_MS = 60_000;

/**
 * Credentials of the RDS secret, read again at most once a minute: every new connection asks, so
 * a rotated password is used without a restart.
 */
export function rdsCredentials(secretArn: string, client?: SecretsManagerClient) {
  const read = secretReader(secretArn, SECRET_TTL_MS, { client });
  return async (): Promise<z.output<typeof RdsSecretSchema>> =>
    parseOrThrow(
      RdsSecretSchema,
      JSON.parse((await read()) || '{}'),
      `database secret ${secretArn}`,
    );
}

// pg (~30 ms to load) is needed only once there is something to connect to: on a Lambda's cold
// start it loads once the database secret's request is on the wire, while its answer is awaited.
const pg = deferredModule<typeof import('pg')>(() => require('pg'));

const sharedCredentials = new Map<string, ReturnType<typeof rdsCredentials>>();

/** One credentials cache per secret for the process: the service's pools share it. */
function credentialsFor(secretArn: string): ReturnType<typeof rdsCredentials> {
  let credentials = sharedCredentials.get(secretArn);
  if (!credentials) {
    credentials = rdsCredentials(secretArn);
    sharedCredentials.set(secretArn, credentials);
  }
  return credentials;
}

export interface PoolOptions {
  readonly max?: number;
  /** Commit without waiting for the WAL flush: only for data the broker can give back. */
  readonly relaxedCommit?: boolean;
  /**
   * Plan each named statement once per connection (plan_cache_mode=force_generic_plan; unnamed
   * ones are planned per call whatever this says): for a pool whose named statements are
   * hot-path batches, which PostgreSQL would otherwise plan again on every call (a batch's arrays
   * make each call look different to it), when planning costs more than running. Only for
   * statements whose best plan does not depend on table sizes: a plan made while a table is
   * empty may scan all of it, for as long as the connection lives.
   */
  readonly genericPlans?: boolean;
  /**
   * As `genericPlans`, and no plan scans a whole table where an index serves
   * (enable_seqscan=off): a plan made while a table was small stays a lookup by key as it grows.
   * For pools that write and look up rows by key on the hot path (fills, acknowledgements, the
   * paper venue), whose batches PostgreSQL would otherwise plan again on every call. A read that
   * must visit a whole table still can (as a full index scan where an index exists).
   */
  readonly keyedPlans?: boolean;
  readonly applicationName: string;
  /**
   * An idle connection died (a failover, a restart). The pool replaces it on next use; without a
   * listener pg would end the process. @default logs to stderr
   */
  readonly onIdleError?: (error: Error) => void;
}

/**
 * A pg pool for `location`. In AWS, TLS is verified against the RDS CA (NODE_EXTRA_CA_CERTS);
 * the user name is read once (single-user rotation keeps it), the password on every new
 * connection.
 */
export async function createPool(location: DatabaseLocation, options: PoolOptions): Promise<Pool> {
  const base: PoolConfig = {
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    options:
      [
        options.relaxedCommit ? '-c synchronous_commit=off' : '',
        options.genericPlans || options.keyedPlans ? '-c plan_cache_mode=force_generic_plan' : '',
        options.keyedPlans ? '-c enable_seqscan=off' : '',
      ]
        .filter(Boolean)
        .join(' ') || undefined,
  };
  const onIdleError =
    options.onIdleError ??
    ((error: Error) =>
      console.error(
        `[${options.applicationName}] idle database connection failed: ${error.message}`,
      ));
  if ('url' in location)
    return new (pg().Pool)({ ...base, connectionString: location.url }).on('error', onIdleError);
  const credentials = credentialsFor(location.secretArn);
  const read = credentials();
  const [{ Pool }, { username }] = await Promise.all([afterRequestsSent(read, pg), read]);
  return new Pool({
    ...base,
    host: location.host,
    port: location.port,
    database: location.database,
    user: username,
    ssl: { rejectUnauthorized: true },
    password: async () => (await credentials()).password,
  }).on('error', onIdleError);
}
