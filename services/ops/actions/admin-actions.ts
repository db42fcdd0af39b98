import type { ActionOf } from '../../../contract/operator-actions';
import { answerGateRequest } from '../../common/tokens/remote-token-gate';
import { PgTokenGate } from '../../common/tokens/token-gate';
import { importCalendar } from '../procedures/calendar-import';
import {
  restartService,
  restoreDatabase,
  rollbackService,
  scaleService,
} from '../procedures/fleet-admin';
import { type ActionTable, procedureResult } from './action-table';

/**
 * The admin function's actions: the fleet, the database and the calendar in it, audited; and the
 * broker tokens' cooldown gate in the database, for `tradeops token` outside the VPC (the login
 * that asks audits its claims and failures).
 */
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
  'token-gate': async (ctx, event) => {
    if (!ctx.db) throw new Error(`no database here to hold the ${event.broker} token gate`);
    const gate = new PgTokenGate(ctx.db, ctx.stage);
    return {
      kind: 'token-gate',
      result: await answerGateRequest(gate, event.broker, event.request),
    };
  },
};
