import type * as logs from 'aws-cdk-lib/aws-logs';

/**
 * The config schema already restricts days to the values CloudWatch accepts; `RetentionDays` is a
 * numeric enum of exactly those values, so the number is the enum member.
 */
export function retentionDays(days: number): logs.RetentionDays {
  return days as logs.RetentionDays;
}
