import type { ActionOf } from '../../../contract/operator-actions';
import { halt } from '../procedures/halt';
import {
  flatten,
  pause,
  resetRiskHalt,
  unpause,
  verifyAudit,
} from '../procedures/service-controls';
import { status } from '../procedures/status';
import { type ActionTable, procedureResult } from './action-table';

/** The control function's actions: the flag, the tasks' controls, status and the audit walk. */
export const CONTROL_ACTIONS: ActionTable<ActionOf<'control'>> = {
  halt: async (ctx, event, onProgress) => procedureResult(await halt(ctx, event, onProgress)),
  pause: async (ctx, event, onProgress) => procedureResult(await pause(ctx, event, onProgress)),
  unpause: async (ctx, event, onProgress) => procedureResult(await unpause(ctx, event, onProgress)),
  flatten: async (ctx, event, onProgress) =>
    procedureResult(await flatten(ctx, { ...event, dryRun: event.dryRun ?? false }, onProgress)),
  'reset-risk-halt': async (ctx, event, onProgress) =>
    procedureResult(await resetRiskHalt(ctx, event, onProgress)),
  status: async (ctx) => ({ kind: 'status', result: await status(ctx) }),
  'audit-verify': async (ctx) => ({ kind: 'audit', result: await verifyAudit(ctx) }),
};
