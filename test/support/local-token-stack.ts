import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import type { LocalStackEndpoints } from '../../services/ops/platform/local/local-context';
import { createTestDatabase, type TestDatabase } from './database';

/** What `npm start` publishes of a live broker stack, on this test's database, in `dir`. */
export function localTokenStack(
  db: TestDatabase,
  dir: string,
  broker: Pick<LocalStackEndpoints, 'broker' | 'brokerTokens' | 'upstox' | 'angelone' | 'kite'>,
): LocalStackEndpoints {
  return {
    databaseUrl: db.url,
    controlToken: 't',
    parameterFile: path.join(dir, 'parameters.json'),
    objectStoreDir: path.join(dir, 'objects'),
    logDir: path.join(dir, 'logs'),
    fleetUrl: 'http://127.0.0.1:1',
    ...broker,
  };
}

/**
 * Publishes `stack` as the running local stack (`<dir>/stack.json`, this process as its pid) and
 * points `LOCAL_STACK_DIR` at it, so that `tradeops ... local` works on it. Returns the undo.
 */
export function publishLocalStack(dir: string, stack: LocalStackEndpoints): () => void {
  const saved = process.env.LOCAL_STACK_DIR;
  writeFileSync(
    path.join(dir, 'stack.json'),
    JSON.stringify({
      ...stack,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      tradingUrl: 'http://127.0.0.1:1',
      dashboardUrl: 'http://127.0.0.1:1',
      dashboardToken: 't',
    }),
  );
  process.env.LOCAL_STACK_DIR = dir;
  return () => {
    if (saved === undefined) delete process.env.LOCAL_STACK_DIR;
    else process.env.LOCAL_STACK_DIR = saved;
  };
}

/** The id of the last audit row: a test reads its own rows of the one chain after it. */
export async function lastAuditId(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ id: string | null }>(
    'SELECT max(id) AS id FROM control_audit',
  );
  return Number(rows[0]?.id ?? 0);
}

/** The token operations' audit rows after `from`: `<action> <outcome> <token> <actor>`. */
export async function tokenAuditRows(pool: Pool, from: number): Promise<string[]> {
  const { rows } = await pool.query<{
    action: string;
    outcome: string;
    actor: string;
    after_state: { token?: string };
  }>(
    `SELECT action, outcome, actor, after_state FROM control_audit
      WHERE action LIKE 'token-%' AND id > $1 ORDER BY id`,
    [from],
  );
  return rows.map((r) => `${r.action} ${r.outcome} ${r.after_state.token ?? '-'} ${r.actor}`);
}

/** A live broker's local stack for one test, as `useLocalBrokerStack` keeps it. */
export interface LocalBrokerStackState<Live> {
  db: TestDatabase;
  dir: string;
  live: Live;
  stack: LocalStackEndpoints;
  /** The last audit row before the test. */
  auditFrom: number;
}

/**
 * Registers the jest hooks of a live broker's local stack: one database for the file; for each
 * test a fresh folder, the broker's simulator started and logged in by `start` (the local stack's
 * own `startLocal<Broker>`), published as the running stack, an open gate. Read the state inside
 * tests and hooks only.
 */
export function useLocalBrokerStack<
  Live extends { readonly simulator: { stop(): Promise<void> }; readonly endpoints: object },
>(
  broker: 'kite' | 'upstox' | 'angelone',
  names: readonly string[],
  start: (dir: string) => Promise<Live>,
): LocalBrokerStackState<Live> {
  const state = {} as LocalBrokerStackState<Live>;
  let unpublish = () => {};
  beforeAll(async () => {
    state.db = await createTestDatabase();
  });
  afterAll(() => state.db.close());
  beforeEach(async () => {
    state.dir = mkdtempSync(path.join(os.tmpdir(), `token-${broker}-`));
    state.live = await start(state.dir);
    state.stack = localTokenStack(state.db, state.dir, {
      broker,
      brokerTokens: [...names],
      [broker]: state.live.endpoints,
    });
    unpublish = publishLocalStack(state.dir, state.stack);
    await state.db.pool.query('DELETE FROM broker_token_gate');
    state.auditFrom = await lastAuditId(state.db.pool);
  });
  afterEach(async () => {
    unpublish();
    await state.live.simulator.stop();
    rmSync(state.dir, { recursive: true, force: true });
  });
  return state;
}
