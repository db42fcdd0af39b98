import * as z from 'zod';
import { AlgoIdSchema } from './algo-id';
import { TokenBrokerSchema } from './broker-tokens';
import { isIsoDate } from './dates';
import { CalendarListSchema } from './market-calendar';
import { SCHEDULED_PROCEDURE_NAMES } from './scheduled-procedures';
import { TokenGateRequestSchema } from './token-gate';

const text = (what: string) =>
  z.string({
    error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be text`),
  });
const who = {
  requestedBy: text('who is asking').min(1, 'who is asking is required').max(200),
  reason: text('a reason').trim().min(3, 'a reason of at least 3 characters is required').max(500),
};

/** Scopes kill, halt, flatten and resume to one exchange algo ID (its strategies only). */
const algo = { algoId: AlgoIdSchema.optional() };

/** RDS's rule for instance and snapshot identifiers. */
const DB_IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9-]{0,254}$/;

/**
 * What an operator asks of the ops functions: the CLI and the dashboard send it, the Lambdas
 * parse it. One schema for both ends; its actions are the contract's `OperatorAction`s.
 */
export const OperatorEventSchema = z.discriminatedUnion('action', [
  z
    .object({ action: z.literal('kill'), ...who, ...algo, scaleToZero: z.boolean().default(false) })
    .strict()
    .refine((e) => !(e.algoId && e.scaleToZero), {
      message: 'scaleToZero stops every algo: not with algoId',
      path: ['scaleToZero'],
    }),
  z.object({ action: z.literal('halt'), ...who, ...algo }).strict(),
  z
    .object({
      action: z.literal('resume'),
      ...who,
      ...algo,
      approvedBy: text('the approver')
        .trim()
        .min(1, 'the approver must name the second person (two-person rule)')
        .max(200)
        .optional(),
    })
    .strict(),
  z.object({ action: z.literal('pause'), ...who }).strict(),
  z.object({ action: z.literal('unpause'), ...who }).strict(),
  z
    .object({ action: z.literal('flatten'), ...who, ...algo, dryRun: z.boolean().default(false) })
    .strict(),
  z.object({ action: z.literal('reset-risk-halt'), ...who }).strict(),
  z
    .object({
      action: z.literal('restart'),
      ...who,
      service: z.enum(['trading', 'dashboard']).default('trading'),
    })
    .strict(),
  z
    .object({
      action: z.literal('scale'),
      ...who,
      count: z
        .number({ error: 'count must be a number' })
        .int('count must be a whole number')
        .min(0, 'count must be 0 or more')
        .max(10, 'count must be 10 or less'),
    })
    .strict(),
  z
    .object({
      action: z.literal('rollback'),
      ...who,
      toRevision: z.number().int().positive('a revision is a positive number').optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('restore'),
      ...who,
      snapshotId: z.string().regex(DB_IDENTIFIER, 'a snapshot id is letters, digits and hyphens'),
      target: z
        .string()
        .regex(DB_IDENTIFIER, 'an instance id is letters, digits and hyphens')
        .optional(),
    })
    .strict(),
  z.object({ action: z.literal('status') }).strict(),
  z.object({ action: z.literal('audit-verify') }).strict(),
  z
    .object({
      action: z.literal('calendar-import'),
      ...who,
      /** The imported file's name (recorded with the years it replaced). */
      source: text('the source file').trim().min(1).max(200),
      entries: CalendarListSchema,
    })
    .strict(),
  // Not audited itself: the token login that asks is (its claim, failure and cooldown).
  z
    .object({
      action: z.literal('token-gate'),
      broker: TokenBrokerSchema,
      request: TokenGateRequestSchema,
    })
    .strict(),
]);
export type OperatorEvent = z.input<typeof OperatorEventSchema>;

/**
 * The CloudWatch alarm state change that EventBridge delivers for an auto-kill alarm. Only the
 * fields the emergency stop uses.
 */
export const AlarmEventSchema = z.object({
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  source: z.literal('aws.cloudwatch'),
  id: z.string(),
  time: z.string(),
  detail: z.object({
    alarmName: z.string(),
    state: z.object({
      // Only a breach stops trading; the rule filters on it, and a misrouted OK must not.
      value: z.literal('ALARM'),
      reason: z.string().optional(),
      timestamp: z.string(),
    }),
  }),
});
export type AlarmEvent = z.output<typeof AlarmEventSchema>;

/**
 * What a scheduled procedure's function is sent: `{}` from the schedule (with who), or an
 * operator's `--date` / `--force` from the CLI. `gate: false` runs the morning checks without
 * the readiness gate (`tradeops health-check`).
 */
export const ScheduledEventSchema = z
  .object({
    date: z.string().refine(isIsoDate, 'date must be a real date as YYYY-MM-DD').optional(),
    force: z.boolean().default(false),
    requestedBy: z.string().min(1).max(200).default('scheduler'),
    gate: z.boolean().optional(),
  })
  .strict();
export type ScheduledEvent = z.input<typeof ScheduledEventSchema>;

/** Which procedure a scheduled function runs (its PROCEDURE variable). */
export const ScheduledProcedureNameSchema = z.enum(SCHEDULED_PROCEDURE_NAMES);
