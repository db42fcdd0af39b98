import type { AuditVerification } from '../common/db/audit';
import type { OperatorEvent } from './events';
import type { OpsContext } from './platform/ports';
import { emergencyStop } from './procedures/emergency-stop';
import {
  restartService,
  restoreDatabase,
  rollbackService,
  scaleService,
} from './procedures/fleet-admin';
import { halt } from './procedures/halt';
import { type ReadinessRunner, resume } from './procedures/resume';
import { flatten, pause, resetRiskHalt, unpause, verifyAudit } from './procedures/service-controls';
import { type StatusReport, status } from './procedures/status';
import type { ProcedureResult, ProgressListener } from './steps';

export type DispatchResult =
  | { readonly kind: 'procedure'; readonly result: ProcedureResult }
  | { readonly kind: 'status'; readonly result: StatusReport }
  | { readonly kind: 'audit'; readonly result: AuditVerification };

/**
 * An operator event to its procedure: the one mapping used by the control Lambdas and by the CLI
 * and dashboard on the local stack.
 */
export async function dispatch(
  ctx: OpsContext,
  event: OperatorEvent,
  deps: { readonly readiness: ReadinessRunner; readonly onProgress?: ProgressListener },
): Promise<DispatchResult> {
  const p = (result: ProcedureResult): DispatchResult => ({ kind: 'procedure', result });
  switch (event.action) {
    case 'kill':
      return p(
        await emergencyStop(
          ctx,
          { ...event, scaleToZero: event.scaleToZero ?? false },
          deps.onProgress,
        ),
      );
    case 'halt':
      return p(await halt(ctx, event, deps.onProgress));
    case 'resume':
      return p(await resume(ctx, event, deps.readiness, deps.onProgress));
    case 'pause':
      return p(await pause(ctx, event, deps.onProgress));
    case 'unpause':
      return p(await unpause(ctx, event, deps.onProgress));
    case 'flatten':
      return p(await flatten(ctx, { ...event, dryRun: event.dryRun ?? false }, deps.onProgress));
    case 'reset-risk-halt':
      return p(await resetRiskHalt(ctx, event, deps.onProgress));
    case 'restart':
      return p(
        await restartService(
          ctx,
          { ...event, service: event.service ?? 'trading' },
          deps.onProgress,
        ),
      );
    case 'scale':
      return p(await scaleService(ctx, event, deps.onProgress));
    case 'rollback':
      return p(await rollbackService(ctx, event, deps.onProgress));
    case 'restore':
      return p(await restoreDatabase(ctx, event, deps.onProgress));
    case 'status':
      return { kind: 'status', result: await status(ctx) };
    case 'audit-verify':
      return { kind: 'audit', result: await verifyAudit(ctx) };
  }
}
