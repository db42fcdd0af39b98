import type { ActionOf } from '../../../contract/operator-actions';
import { type ReadinessRunner, resume } from '../procedures/resume';
import { type ActionTable, procedureResult } from './action-table';

/** The resume-trading function's action; `readiness` is the morning checks' readiness run. */
export function resumeActions(readiness: ReadinessRunner): ActionTable<ActionOf<'resume'>> {
  return {
    resume: async (ctx, event, onProgress) =>
      procedureResult(await resume(ctx, event, readiness, onProgress)),
  };
}
