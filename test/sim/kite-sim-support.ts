import { type Connect, KiteConnect, KiteTicker } from 'kiteconnect';
import { type KiteSimulator, startKiteSimulator } from '../../scripts/sim/kite/simulator';

/** The simulator's credentials in tests: made up, never a real app's. */
export const SIM_CREDENTIALS = {
  apiKey: 'testkey',
  apiSecret: 'testsecret',
  userId: 'AB1234',
} as const;

/** A simulator on a free loopback port that steps its prices only when a test says so. */
export function startTestSimulator(
  overrides: Partial<Parameters<typeof startKiteSimulator>[0]> = {},
): Promise<KiteSimulator> {
  return startKiteSimulator({ ...SIM_CREDENTIALS, port: 0, tickIntervalMs: 0, ...overrides });
}

/** The official SDK pointed at the simulator, before login. */
export function sdkClient(simulator: KiteSimulator, timeoutMs = 5000): Connect {
  return new KiteConnect({
    api_key: SIM_CREDENTIALS.apiKey,
    root: simulator.apiRoot,
    timeout: timeoutMs,
  });
}

/** The official SDK logged in through `generateSession` with a fresh request_token. */
export async function loggedInClient(simulator: KiteSimulator, timeoutMs = 5000) {
  const kite = sdkClient(simulator, timeoutMs);
  const session = await kite.generateSession(
    simulator.control.issueRequestToken(),
    SIM_CREDENTIALS.apiSecret,
  );
  return { kite, session };
}

/** What the SDK rejects with: Kite's envelope, or its own NetworkException for a non-Kite answer. */
export interface KiteRejection {
  readonly error_type: string;
  readonly message: string;
}

/** Runs an SDK call that must fail and returns what it rejected with. */
export async function rejectionOf(call: Promise<unknown>): Promise<KiteRejection> {
  try {
    await call;
  } catch (error) {
    return error as KiteRejection;
  }
  throw new Error('the call succeeded; a rejection was expected');
}

/**
 * Collects events and resolves waiters when one matches: tests synchronise on what the
 * simulator sent, never on a sleep.
 */
export class EventLog<T> {
  readonly events: T[] = [];
  private readonly waiters: { match: (event: T) => boolean; resolve: (event: T) => void }[] = [];

  /** Records an event and wakes the waiters it matches. */
  push = (event: T): void => {
    this.events.push(event);
    for (const waiter of [...this.waiters]) {
      if (!waiter.match(event)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  };

  /** The first event (already seen or still to come) that matches. */
  next(match: (event: T) => boolean): Promise<T> {
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}

/**
 * The official ticker pointed at the simulator. `root` is a constructor parameter of ticker.js
 * that its type declarations leave out, hence the params object built outside the call.
 */
export function sdkTicker(simulator: KiteSimulator, accessToken: string, reconnect: boolean) {
  const params = {
    api_key: SIM_CREDENTIALS.apiKey,
    access_token: accessToken,
    root: simulator.tickerRoot,
    reconnect,
  };
  return new KiteTicker(params);
}
