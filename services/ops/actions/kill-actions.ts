import type { ActionOf } from '../../../contract/operator-actions';
import { emergencyStop } from '../procedures/emergency-stop';
import { type ActionTable, procedureResult } from './action-table';

/** The emergency-stop function's action: the kill, and nothing that backs up, exports or checks. */
export const KILL_ACTIONS: ActionTable<ActionOf<'emergencyStop'>> = {
  kill: async (ctx, event, onProgress) =>
    procedureResult(
      await emergencyStop(ctx, { ...event, scaleToZero: event.scaleToZero ?? false }, onProgress),
    ),
};
