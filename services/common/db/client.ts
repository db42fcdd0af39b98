import { Client, type ClientConfig, type Pool, type PoolClient } from 'pg';

/**
 * The connection under a procedure died (the backend was terminated, the server restarted, the
 * network dropped): the step that used it fails with this, and nothing else is affected.
 */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';

  constructor(
    readonly during: string,
    override readonly cause: Error,
  ) {
    super(`the database connection was lost during ${during}: ${cause.message}`);
  }
}

/**
 * Runs `fn` on a client checked out of `pool`, with an error listener for as long as it is out:
 * pg emits 'error' on a checked-out client whose connection dies, and with no listener that
 * event ends the process. A client that failed (or whose `fn` threw mid-stream) is destroyed, not
 * returned to the pool; a lost connection surfaces as a ConnectionLostError naming `during`.
 */
export async function withClient<T>(
  pool: Pool,
  during: string,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost ??= error;
  };
  client.on('error', onError);
  let failed = false;
  try {
    return await fn(client);
  } catch (error) {
    failed = true;
    throw connectionLost(during, error, lost);
  } finally {
    // A failed client keeps the listener: its connection may report 'end' after this returns.
    if (!failed) client.removeListener('error', onError);
    // A connection that failed, or whose statement was cut off mid-stream, is not reusable.
    client.release(lost ?? failed);
  }
}

/**
 * The server says it is going away (class 57P: terminated by an administrator, shutting down) or
 * the connection broke (class 08): the step lost its database, whatever statement it was on.
 */
function connectionLost(during: string, error: unknown, emitted: Error | undefined): unknown {
  if (emitted) return new ConnectionLostError(during, emitted);
  const code = (error as { code?: unknown }).code;
  if (
    error instanceof Error &&
    typeof code === 'string' &&
    (code.startsWith('57P') || code.startsWith('08'))
  )
    return new ConnectionLostError(during, error);
  return error;
}

/**
 * A standalone client (administration, a database other than the pool's), connected, with the
 * same error listener as `withClient`, and always ended.
 */
export async function withStandaloneClient<T>(
  config: ClientConfig | string,
  during: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client(typeof config === 'string' ? { connectionString: config } : config);
  let lost: Error | undefined;
  client.on('error', (error: Error) => {
    lost ??= error;
  });
  await client.connect();
  try {
    return await fn(client);
  } catch (error) {
    throw connectionLost(during, error, lost);
  } finally {
    // Ending a connection that is already gone has nothing left to clean up.
    await client.end().catch(() => undefined);
  }
}
