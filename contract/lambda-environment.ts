import * as z from 'zod';
import { SchedulesSchema } from './stage';
import { booleanText, jsonText } from './validation';

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/**
 * The environment of every ops function. The CDK construct takes its input type, so a variable
 * left out is a compile error there, and a bad value a clear error here at cold start.
 */
export const OpsEnvironmentSchema = z.object({
  STAGE: z.enum(['dev', 'staging', 'prod']),
  DATA_BUCKET: z.string().min(3),
  /** The Object Lock bucket of the five-year records. */
  RECORDS_BUCKET: z.string().min(3),
  PAGE_TOPIC_ARN: z.string().startsWith('arn:'),
  NOTIFY_TOPIC_ARN: z.string().startsWith('arn:'),
  DB_SECRET_ARN: z.string().startsWith('arn:'),
  DB_HOST: z.string().min(1),
  DB_PORT: z.coerce.number().int().positive(),
  DB_NAME: z.string().min(1),
  CONTROL_TOKEN_SECRET_ARN: z.string().startsWith('arn:'),
  TWO_PERSON_RESUME: booleanText,
  READINESS_GATE: booleanText,
  /** PAPER or LIVE: a LIVE stage's checks FAIL on what a PAPER one only warns about. */
  MODE: z.enum(['PAPER', 'LIVE']),
  REGISTERED_EGRESS_IPS: list,
  /** The NAT gateways' Elastic IPs (the network stack): where the stage's orders leave from. */
  EGRESS_IPS: list,
  BROKER_TOKENS: list,
  SNAPSHOT_RETENTION_DAYS: z.coerce.number().int().positive(),
  SCHEDULES: jsonText(SchedulesSchema),
});

export type OpsEnvironment = z.output<typeof OpsEnvironmentSchema>;
/** What the CDK construct must set: every variable, as text. */
export type OpsEnvironmentVariables = Record<keyof z.input<typeof OpsEnvironmentSchema>, string>;
