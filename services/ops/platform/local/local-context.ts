import path from 'node:path';
import { Pool } from 'pg';
import { stageTokensFor } from '../../../../contract/broker-tokens';
import type { BrokerKind } from '../../../../contract/kite';
import { operatorNames } from '../../../../contract/names';
import type { AuditSource } from '../../../common/db/audit';
import { FileAuditSpool } from '../../../common/db/audit-spool';
import { LocalKiteSecretStore } from '../../../common/kite/kite-secret-store';
import { LocalParameterStore } from '../../../common/parameters/local-parameter-store';
import { sleep } from '../../../common/retry';
import { PgTokenGate } from '../../../common/tokens/token-gate';
import { tokenLogin } from '../../../common/tokens/token-login-registry';
import { DEFAULT_OPS_SETTINGS, type OpsContext, type OpsSettings } from '../ports';
import { TradingClient } from '../trading-client';
import { LocalDatabaseAdmin } from './local-database-admin';
import {
  LocalFleetClient,
  LocalLogSource,
  LocalNotifier,
  LocalObjectStore,
  noAlarms,
} from './local-platform';

/** What the local stack publishes about itself (scripts/local/stack-info.ts). */
export interface LocalStackEndpoints {
  readonly databaseUrl: string;
  readonly controlToken: string;
  readonly parameterFile: string;
  readonly objectStoreDir: string;
  readonly logDir: string;
  readonly fleetUrl: string;
  /** The broker tokens the checks require. @default none: whatever the broker has */
  readonly brokerTokens?: readonly string[];
  /** The broker the trading tasks use. @default 'paper' */
  readonly broker?: BrokerKind;
  /** With the Kite broker: the simulator's API and the local Kite secret store. */
  readonly kite?: {
    readonly apiRoot: string;
    readonly secretDir: string;
    /** The simulator's login page (the link `tradeops token login` and the dashboard show). */
    readonly loginUrl?: string;
  };
}

/** A Kite stack's named tokens: Kite's login from the registry, the gate in the local database. */
function localTokens(stack: LocalStackEndpoints, pool: Pool): OpsContext['tokens'] {
  if (stack.broker !== 'kite' || !stack.kite) return undefined;
  return {
    config: stageTokensFor('kite', stack.brokerTokens),
    login: tokenLogin('kite', {
      stage: 'local',
      secrets: { kind: 'local', dir: stack.kite.secretDir },
      apiRoot: stack.kite.apiRoot,
      loginUrl: stack.kite.loginUrl,
    }),
    gate: new PgTokenGate(pool, 'local'),
  };
}

/** A Kite stack's secrets and simulator; a Kite stack that does not say where they are is an error. */
function localKite(stack: LocalStackEndpoints): OpsContext['kite'] {
  if (stack.broker !== 'kite') return undefined;
  if (!stack.kite)
    throw new Error('the local stack runs Kite but does not say where its secrets are');
  return {
    store: new LocalKiteSecretStore(stack.kite.secretDir),
    endpoint: { apiRoot: stack.kite.apiRoot },
  };
}

/** The procedures' view of the local stack, with a pool the caller must end. */
export function localOpsContext(
  stack: LocalStackEndpoints,
  source: AuditSource,
  settings: Partial<OpsSettings> = {},
): OpsContext & { readonly pool: Pool } {
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 3 }).on(
    'error',
    () => undefined,
  );
  return {
    stage: 'local',
    names: operatorNames('local'),
    source,
    parameters: new LocalParameterStore(stack.parameterFile),
    fleet: new LocalFleetClient(stack.fleetUrl, stack.controlToken),
    trading: new TradingClient(async () => stack.controlToken),
    objects: new LocalObjectStore(stack.objectStoreDir),
    // The records bucket's stand-in: the same folder, under records/.
    records: new LocalObjectStore(stack.objectStoreDir),
    notifier: new LocalNotifier(path.join(path.dirname(stack.logDir), 'notifications.jsonl')),
    db: pool,
    pool,
    // One file per caller kind: a FileAuditSpool has one writer process (the CLI, the dashboard).
    auditSpool: new FileAuditSpool(
      path.join(path.dirname(stack.parameterFile), `audit-spool-${source}.jsonl`),
    ),
    logs: new LocalLogSource(stack.logDir),
    alarms: noAlarms,
    database: new LocalDatabaseAdmin(
      stack.databaseUrl,
      path.join(stack.objectStoreDir, 'backups', 'snapshots'),
    ),
    kite: localKite(stack),
    tokens: localTokens(stack, pool),
    now: Date.now,
    sleep,
    settings: {
      ...DEFAULT_OPS_SETTINGS,
      brokerTokens: [...(stack.brokerTokens ?? [])],
      ...settings,
    },
  };
}
