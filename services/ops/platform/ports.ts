import type { Readable } from 'node:stream';
import type { Pool } from 'pg';
import type { StageTokens } from '../../../contract/broker-tokens';
import type { AnyStage, OperatorNames } from '../../../contract/names';
import type { Schedules } from '../../../contract/stage';
import { DEFAULT_SCHEDULES } from '../../../contract/stage';
import type { AuditSource } from '../../common/db/audit';
import type { AuditSpool } from '../../common/db/audit-spool';
import type { ParameterStore } from '../../common/parameters/parameter-store';
import type { TokenGate } from '../../common/tokens/token-gate';
import type { BrokerTokenLogin } from '../../common/tokens/token-login';
import type { TradingClient } from './trading-client';

/** An ECS service (or the local fleet's), as the procedures need to see it. */
export interface ServiceDescription {
  readonly name: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  /** COMPLETED when the latest deployment has all its tasks and no older one is left. */
  readonly rolloutState: 'COMPLETED' | 'IN_PROGRESS' | 'FAILED';
  /** The task definition (revision) the service runs. */
  readonly taskDefinition?: string;
  readonly events: ReadonlyArray<{ readonly at: string; readonly message: string }>;
}

/** A running task and where its API answers. */
export interface TaskEndpoint {
  readonly taskId: string;
  readonly url: string;
  readonly startedAt?: string;
  readonly status: string;
}

/** One revision of a service's task definition. */
export interface TaskDefinitionRevision {
  readonly arn: string;
  readonly revision: number;
  /** INACTIVE revisions (deregistered) cannot run tasks. */
  readonly status: 'ACTIVE' | 'INACTIVE';
}

/** ECS in AWS, the local fleet locally. */
export interface Fleet {
  describe(service: string): Promise<ServiceDescription>;
  /** Running tasks with reachable endpoints. */
  tasks(service: string): Promise<TaskEndpoint[]>;
  setDesiredCount(service: string, count: number): Promise<void>;
  forceNewDeployment(service: string): Promise<void>;
  /** The revisions of the family of the task definition the service runs, newest first. */
  revisions(service: string): Promise<TaskDefinitionRevision[]>;
  /** Rolls the service onto another revision of its task definition. */
  deployRevision(service: string, taskDefinitionArn: string): Promise<void>;
  tags(service: string): Promise<Record<string, string>>;
  tag(service: string, tags: Record<string, string>): Promise<void>;
  untag(service: string, keys: readonly string[]): Promise<void>;
}

/** How a write treats an object already under its key. */
export interface WriteOptions {
  /**
   * Write only if nothing is under the key yet (S3's `If-None-Match: *`); otherwise throw an
   * ObjectExistsError and leave the object as it was. @default false: replace it
   */
  readonly ifAbsent?: boolean;
}

/** A write with `ifAbsent` found an object already under its key. */
export class ObjectExistsError extends Error {
  override readonly name = 'ObjectExistsError';
  constructor(readonly key: string) {
    super(`an object is already stored under ${key}: not overwritten`);
  }
}

/** S3 in AWS, a directory locally. Keys are relative (`incidents/<id>/bundle.json`). */
export interface ObjectStore {
  readonly location: string;
  put(
    key: string,
    body: string | Buffer,
    contentType: string,
    options?: WriteOptions,
  ): Promise<void>;
  /** Streams `body` to `key`; nothing is visible under `key` unless the whole stream arrived. */
  upload(
    key: string,
    body: Readable,
    contentType: string,
    options?: WriteOptions,
  ): Promise<{ bytes: number }>;
  get(key: string): Promise<Buffer | undefined>;
  /** The object as a stream (large exports are verified without holding them in memory). */
  download(key: string): Promise<Readable | undefined>;
  list(prefix: string): Promise<string[]>;
  /** Removes `key`; removing a key that is not there is not an error. */
  delete(key: string): Promise<void>;
}

export type Topic = 'page' | 'notify';

/** SNS in AWS, a file (and the console) locally. */
export interface Notifier {
  publish(topic: Topic, subject: string, message: string): Promise<void>;
}

export interface LogLine {
  readonly timestamp: number;
  readonly stream: string;
  readonly message: string;
}

/** CloudWatch Logs in AWS, the local stack's log files locally. */
export interface LogSource {
  /** Lines since `sinceMs` (epoch ms) containing `pattern` (case-sensitive), newest last. */
  lines(options: { sinceMs: number; pattern?: string; limit: number }): Promise<LogLine[]>;
}

export interface AlarmState {
  readonly name: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly reason: string;
  readonly updatedAt: string;
}

/** CloudWatch alarms in AWS; locally there are none. */
export interface AlarmSource {
  inAlarm(): Promise<AlarmState[]>;
  /** Alarms that went to ALARM since `sinceMs`. */
  alarmedSince(sinceMs: number): Promise<Array<{ name: string; at: string; reason: string }>>;
}

export interface DatabaseSnapshot {
  readonly id: string;
  /** `available` once complete; `creating` before (as RDS reports it). */
  readonly status: string;
  readonly createdAt?: string;
  readonly sizeGiB?: number;
  readonly percentProgress?: number;
}

export interface DatabaseDescription {
  readonly status: string;
  readonly engineVersion?: string;
  readonly multiAz?: boolean;
  readonly allocatedStorageGiB?: number;
  readonly freeStorageBytes?: number;
  /** The latest point automated backups can restore to. */
  readonly latestRestorableTime?: string;
}

/** RDS in AWS; locally, the embedded PostgreSQL with dumps in the object store. */
export interface DatabaseAdmin {
  describe(): Promise<DatabaseDescription>;
  /** Manual snapshots whose ids start with `prefix`. */
  snapshots(prefix: string): Promise<DatabaseSnapshot[]>;
  createSnapshot(id: string): Promise<void>;
  snapshot(id: string): Promise<DatabaseSnapshot | undefined>;
  deleteSnapshot(id: string): Promise<void>;
  /**
   * Restores to a new instance (locally, a new database), never over the live one; returns where
   * the copy answers.
   */
  restoreSnapshot(id: string, newInstanceId: string): Promise<string>;
  /** VACUUM ANALYZE and table sizes run through `db`; this only names the instance. */
  readonly instanceId: string;
}

/** The load balancer's view of the dashboard's targets; absent locally. */
export interface TargetHealthSource {
  targets(): Promise<
    Array<{ readonly target: string; readonly state: string; readonly reason?: string }>
  >;
}

/**
 * Everything a procedure acts on, for one stage. The Lambdas build it from AWS clients, the CLI
 * and dashboard from AWS clients or the local stack; the procedures cannot tell the difference.
 */
export interface OpsContext {
  readonly stage: AnyStage;
  readonly names: OperatorNames;
  /** Who runs the procedure (recorded as the audit row's source). */
  readonly source: AuditSource;
  readonly parameters: ParameterStore;
  readonly fleet: Fleet;
  readonly trading: TradingClient;
  readonly objects: ObjectStore;
  /**
   * The five-year records (`records/`): the Object Lock records bucket in AWS. Absent: the
   * records live in `objects` (the local stack, where both are one folder).
   */
  readonly records?: ObjectStore;
  readonly notifier: Notifier;
  /** The database; absent outside the VPC (the CLI's fallback path). */
  readonly db?: Pool;
  /**
   * Where audit rows wait while the database cannot take them (a file locally, the data bucket
   * in AWS). Absent only in tests that do not exercise it.
   */
  readonly auditSpool?: AuditSpool;
  readonly logs?: LogSource;
  readonly alarms?: AlarmSource;
  readonly database?: DatabaseAdmin;
  readonly targets?: TargetHealthSource;
  /**
   * The stage's named broker tokens, their broker's login and its cooldown gate: `tradeops token`,
   * the token check, the checklists (the morning proof, the evening logout) and the dashboard's
   * token card. Absent: the paper broker.
   */
  readonly tokens?: TokenAccess;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly settings: OpsSettings;
}

/** A stage's named tokens at its broker, the broker's login and the gate in front of it. */
export interface TokenAccess {
  readonly config: StageTokens;
  readonly login: BrokerTokenLogin;
  /** The cooldown gate in PostgreSQL; absent where there is no database (no generation then). */
  readonly gate?: TokenGate;
}

export interface OpsSettings {
  /** A resume needs an approver other than the requester. */
  readonly twoPersonResume: boolean;
  /** A readiness check older than this does not count for a resume. @default 15 min */
  readonly readinessMaxAgeMs: number;
  /** How long the emergency stop waits for the halted tasks to have cancelled their entries. */
  readonly cancelConfirmTimeoutMs: number;
  /** How long the emergency stop keeps checking (and re-flattening) for zero positions. */
  readonly verifyFlatTimeoutMs: number;
  /** How long a resume waits for the service to be stable. */
  readonly stableTimeoutMs: number;
  /**
   * The deployed stage's mode: LIVE trades real money, and what a PAPER stage only warns about
   * (no registered egress IPs) is a FAIL. The local stack is PAPER here: its simulator is no
   * exchange. @default PAPER
   */
  readonly mode: 'PAPER' | 'LIVE';
  /** Egress IPs registered with the broker (`-c registeredEgressIps`). */
  readonly registeredEgressIps: readonly string[];
  /**
   * The stage's egress IPs: the NAT gateways' Elastic IPs, as the network stack allocated them.
   * Empty: not known here (the local stack, the CLI outside the VPC).
   */
  readonly egressIps: readonly string[];
  /** Named broker tokens that must be valid past today's close. */
  readonly brokerTokens: readonly string[];
  /** A NOT READY morning checklist keeps the flag false and pages P2. */
  readonly readinessGate: boolean;
  /** Manual snapshots kept by the backup procedure, in days. */
  readonly snapshotRetentionDays: number;
  /** How long the backup waits for its snapshot to become available. */
  readonly snapshotWaitMs: number;
  /** How far back the evening checklist scans the logs for ERROR lines. */
  readonly errorScanHours: number;
  /** When the scheduled procedures run (IST): the evening checks know what is due yet. */
  readonly schedules: Schedules;
  /**
   * How long each check an enabling action depends on (preconditions, readiness,
   * reconciliation, its audit row) may take; past it, the check failed and nothing is enabled.
   * @default 120 s
   */
  readonly enablingStepTimeoutMs: number;
  /** How long an audit write may take before the row is spooled instead. @default 3 s */
  readonly auditTimeoutMs: number;
  /**
   * How long an emergency stop's dedupe claim counts as in progress: after it, a redelivery
   * runs the stop again (the function's timeout; Powertools idempotency's in-progress expiry).
   * @default 15 min
   */
  readonly invocationExpiryMs: number;
}

export const DEFAULT_OPS_SETTINGS: OpsSettings = {
  twoPersonResume: false,
  readinessMaxAgeMs: 15 * 60_000,
  cancelConfirmTimeoutMs: 10_000,
  verifyFlatTimeoutMs: 60_000,
  stableTimeoutMs: 10 * 60_000,
  mode: 'PAPER',
  registeredEgressIps: [],
  egressIps: [],
  brokerTokens: [],
  readinessGate: false,
  snapshotRetentionDays: 7,
  snapshotWaitMs: 12 * 60_000,
  errorScanHours: 8,
  schedules: DEFAULT_SCHEDULES,
  enablingStepTimeoutMs: 120_000,
  auditTimeoutMs: 3_000,
  invocationExpiryMs: 15 * 60_000,
};
