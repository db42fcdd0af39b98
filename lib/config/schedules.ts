import * as z from 'zod';

/** A time of day in IST, `HH:MM`, 24-hour. */
export const TimeOfDaySchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour, IST)');

/** When a scheduled procedure runs: a time in IST and the days of the week. */
export const ScheduleSchema = z
  .object({
    time: TimeOfDaySchema,
    days: z.enum(['MON-FRI', 'SAT', 'SUN', 'MON-SAT', 'DAILY']),
  })
  .strict();
export type Schedule = z.output<typeof ScheduleSchema>;

/** The scheduled procedures and when each runs. */
export const SchedulesSchema = z
  .object({
    tokenCheck: ScheduleSchema,
    morningChecklist: ScheduleSchema,
    deadlineCheck: ScheduleSchema,
    eveningChecklist: ScheduleSchema,
    tradeExport: ScheduleSchema,
    databaseBackup: ScheduleSchema,
    maintenance: ScheduleSchema,
  })
  .strict();
export type Schedules = z.output<typeof SchedulesSchema>;
