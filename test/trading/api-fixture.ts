import pino from 'pino';
import { buildServer, type TradingServer } from '../../services/trading/src/http/server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { type Harness, type HarnessOptions, startHarness } from './harness';

export const TOKEN = 'test-control-token-0123456789';
export const auth = { authorization: `Bearer ${TOKEN}` };

/** A real trading service on a database of its own, behind its HTTP API (`app.inject`, no port). */
export interface ApiFixture {
  readonly db: TestDatabase;
  readonly h: Harness;
  readonly app: TradingServer;
}

export async function startApi(options: Omit<HarnessOptions, 'url'>): Promise<ApiFixture> {
  const db = await createTestDatabase();
  const h = await startHarness({ ...options, url: db.url });
  const app = buildServer(h.service, { controlToken: TOKEN, log: pino({ level: 'silent' }) });
  await app.ready();
  return { db, h, app };
}

/** Closes the API, stops the service and drops its database. */
export async function stopApi({ db, h, app }: ApiFixture): Promise<void> {
  await app.close();
  await h.stop();
  await db.close();
}

/** The API the tests of the file that calls `useApi` run against: set before its first test. */
export let db: TestDatabase;
export let h: Harness;
export let app: TradingServer;

/** Starts the API before the calling describe's tests and stops it after them. */
export function useApi(options: Omit<HarnessOptions, 'url'>): void {
  beforeAll(async () => {
    ({ db, h, app } = await startApi(options));
  });
  // Fresh quotes for every test: readiness, feed status and the price collar need them < 5 s old.
  beforeEach(() => h.quoteAll());
  afterAll(() => stopApi({ db, h, app }));
}

/** A POST with the control token to the API that `useApi` started. */
export const post = (url: string, payload: object) =>
  app.inject({ method: 'POST', url, headers: auth, payload });
