import type { ScheduledProcedureName } from '../../contract/scheduled-procedures';
import type { OpsReach } from '../constructs/ops-reach';

/**
 * What each scheduled function may touch. `tokenCheck`: the token check reads the broker's
 * secrets, or also renews its tokens where the broker logs in unattended (Angel One).
 */
export function scheduledReach(
  tokenCheck: 'read' | 'renew',
): Record<ScheduledProcedureName, OpsReach> {
  return {
    'token-check': {
      bucketPrefixes: ['reports/'],
      topics: ['notify', 'page'],
      brokerSecrets: tokenCheck,
      // A renewal is audited, spooled while the database cannot take it.
      auditSpool: tokenCheck === 'renew',
    },
    'morning-checklist': {
      brokerSecrets: 'read',
      // The readiness gate keeps the flag false, audited.
      writeParameters: true,
      bucketPrefixes: ['reports/'],
      topics: ['notify', 'page'],
      readLogsAndAlarms: true,
      database: ['describe'],
      auditSpool: true,
    },
    'deadline-check': {
      bucketPrefixes: ['reports/'],
      topics: ['notify', 'page'],
    },
    'evening-checklist': {
      // The daily logout of the broker session (Kite: invalidateAccessToken).
      brokerSecrets: 'read',
      bucketPrefixes: ['reports/'],
      readPrefixes: ['exports/'],
      // The day's records read back (records-verified).
      records: 'read',
      topics: ['notify', 'page'],
      readLogsAndAlarms: true,
      database: ['describe'],
    },
    'trade-export': {
      bucketPrefixes: ['exports/', 'reports/'],
      topics: ['notify', 'page'],
    },
    // Creates under records/ and reads back; cannot delete, overwrite a retained version or
    // change a retention (Object Lock, COMPLIANCE, would refuse anyway).
    records: {
      bucketPrefixes: ['reports/'],
      records: 'write',
      topics: ['notify', 'page'],
    },
    'database-backup': {
      bucketPrefixes: ['reports/'],
      topics: ['notify', 'page'],
      database: ['describe', 'snapshot', 'prune'],
    },
    maintenance: {
      bucketPrefixes: ['reports/'],
      topics: ['notify', 'page'],
      database: ['describe', 'snapshot'],
    },
  };
}
