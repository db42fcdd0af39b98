import path from 'node:path';
import { Pool } from 'pg';
import { stageTokensFor } from '../../../../contract/broker-tokens';
import type { BrokerKind } from '../../../../contract/brokers';
import { operatorNames } from '../../../../contract/names';
import type { AuditSource } from '../../../common/db/audit';
import { FileAuditSpool } from '../../../common/db/audit-spool';
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
  /** With a live broker, under its name: its simulator and the local secret store. */
  readonly kite?: LocalBrokerEndpoints;
  readonly upstox?: LocalBrokerEndpoints;
  readonly angelone?: LocalBrokerEndpoints;
}

/** Where a live broker's simulator answers and its local secrets are. */
export interface LocalBrokerEndpoints {
  readonly apiRoot: string;
  readonly secretDir: string;
  /** The simulator's login page (the link `tradeops token login` and the dashboard show). */
  readonly loginUrl?: string;
  /** The "static IP" the simulator sees (Angel One's header). */
  readonly publicIp?: string;
}

/**
 * A live broker stack's named tokens: the broker's login from the registry on the local secrets
 * and simulator, the gate in the local database. A live stack that does not say where its secrets
 * are is an error.
 */
function localTokens(stack: LocalStackEndpoints, pool: Pool): OpsContext['tokens'] {
  const broker = stack.broker ?? 'paper';
  if (broker === 'paper') return undefined;
  const endpoints = stack[broker];
  if (!endpoints)
    throw new Error(`the local stack runs ${broker} but does not say where its secrets are`);
  return {
    config: stageTokensFor(broker, stack.brokerTokens),
    login: tokenLogin(broker, {
      stage: 'local',
      secrets: { kind: 'local', dir: endpoints.secretDir },
      apiRoot: endpoints.apiRoot,
      loginUrl: endpoints.loginUrl,
      publicIp: endpoints.publicIp,
    }),
    gate: new PgTokenGate(pool, 'local'),
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
