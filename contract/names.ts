import { isIsoDate } from './dates';
import type { Stage } from './stage';

/** Every stage the tools accept: the AWS stages plus the local stack. */
export type AnyStage = Stage | 'local';

/**
 * The operator contract of product.md: names that runbooks, alarms and people type. The CDK app,
 * the Lambdas, the CLI and the local stack all take names from here and nowhere else.
 */
export function operatorNames(stage: AnyStage) {
  const prefix = `algo-trading-${stage}`;
  return {
    prefix,
    cluster: `${prefix}-cluster`,
    tradingService: `${prefix}-trading`,
    dashboardService: `${prefix}-dashboard`,
    dbInstance: `${prefix}-db`,
    dbName: 'algotrading',
    flagParameter: `/algo-trading/${stage}/trading_enabled`,
    flattenRequestParameter: `/algo-trading/${stage}/flatten_request`,
    logGroup: `/aws/ecs/${prefix}`,
    pageTopic: `${prefix}-page`,
    notifyTopic: `${prefix}-notify`,
    snapshotPrefix: `${prefix}-backup-`,
    defaultBucket: (account: string) => `${prefix}-data-${account}`,
    /** The five-year records (Object Lock, compliance mode): `records/<kind>/<date>/`. */
    recordsBucket: (account: string) => `${prefix}-records-${account}`,
  } as const;
}

export type OperatorNames = ReturnType<typeof operatorNames>;

/** What a person types (or ECS sets in LIVE_CONFIRMATION) to start the service in LIVE mode. */
export const LIVE_CONFIRMATION = 'CONFIRM LIVE TRADING';

/** `algo-trading-<stage>-backup-<YYYYMMDD>` for a date given as `YYYY-MM-DD`. */
export function snapshotIdentifier(stage: AnyStage, isoDate: string): string {
  if (!isIsoDate(isoDate)) {
    throw new Error(`Expected a date as YYYY-MM-DD, got ${JSON.stringify(isoDate)}`);
  }
  return `${operatorNames(stage).snapshotPrefix}${isoDate.replaceAll('-', '')}`;
}

/**
 * Where the Ops stack publishes its function names, topics and bucket for the CLI and the
 * dashboard (JSON). Not part of the operator contract; a discovery aid.
 */
export function opsDiscoveryParameter(stage: AnyStage): string {
  return `/algo-trading/${stage}/ops`;
}

/** `algo-trading-<stage>-data-<account>`, or the configured override. */
export function dataBucketName(stage: AnyStage, account: string, override?: string): string {
  return override ?? operatorNames(stage).defaultBucket(account);
}

/**
 * Where the ops functions (and the CLI with an operator's credentials) spool audit rows that the
 * database could not take, in the stage's data bucket: one object per row. The Ops stack grants
 * exactly this prefix; the runtime writes under it.
 */
export const AUDIT_SPOOL_PREFIX = 'audit-spool/';

/** `algo-trading-<stage>-records-<account>`: the Object Lock bucket of the five-year records. */
export function recordsBucketName(stage: AnyStage, account: string): string {
  return operatorNames(stage).recordsBucket(account);
}

/**
 * Where the records procedure writes in the records bucket (`records/<kind>/<date>/` and
 * `records/manifests/<date>/manifest.json`). The Ops stack grants exactly this prefix.
 */
export const RECORDS_PREFIX = 'records/';
