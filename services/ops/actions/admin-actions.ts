import type { ActionOf } from '../../../contract/operator-actions';
import { importCalendar } from '../procedures/calendar-import';
import {
  restartService,
  restoreDatabase,
  rollbackService,
  scaleService,
} from '../procedures/fleet-admin';
import { type ActionTable, procedureResult } from './action-table';

/** The admin function's actions: the fleet, the database and the calendar in it, audited. */
export const ADMIN_ACTIONS: ActionTable<ActionOf<'admin'>> = {
  restart: async (ctx, event, onProgress) =>
    procedureResult(
      await restartService(ctx, { ...event, service: event.service ?? 'trading' }, onProgress),
    ),
  scale: async (ctx, event, onProgress) =>
    procedureResult(await scaleService(ctx, event, onProgress)),
  rollback: async (ctx, event, onProgress) =>
    procedureResult(await rollbackService(ctx, event, onProgress)),
  restore: async (ctx, event, onProgress) =>
    procedureResult(await restoreDatabase(ctx, event, onProgress)),
  'calendar-import': async (ctx, event, onProgress) =>
    procedureResult(await importCalendar(ctx, event, onProgress)),
};
