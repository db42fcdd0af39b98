import type { OperatorAction } from '../../../contract/operator-actions';
import type { OperatorEvent } from '../../../contract/operator-events';
import type { TokenGateAnswer } from '../../../contract/token-gate';
import type { AuditVerification } from '../../common/db/audit';
import type { OpsContext } from '../platform/ports';
import type { StatusReport } from '../procedures/status';
import type { ProcedureResult, ProgressListener } from '../steps/runner';

/**
 * What running an operator action returns: a procedure's steps, the status, the audit walk, or a
 * broker token gate's answer.
 */
export type DispatchResult =
  | { readonly kind: 'procedure'; readonly result: ProcedureResult }
  | { readonly kind: 'status'; readonly result: StatusReport }
  | { readonly kind: 'audit'; readonly result: AuditVerification }
  | { readonly kind: 'token-gate'; readonly result: TokenGateAnswer };

/** Runs one action: the operator event to its procedure's arguments. */
export type ActionRunner<A extends OperatorAction> = (
  ctx: OpsContext,
  event: Extract<OperatorEvent, { action: A }>,
  onProgress?: ProgressListener,
) => Promise<DispatchResult>;

/**
 * The runners of a set of actions. Each ops function imports only its own table (and with it only
 * the procedures it runs); `dispatch` joins them all for the CLI and the dashboard.
 */
export type ActionTable<A extends OperatorAction> = { readonly [K in A]: ActionRunner<K> };

/** The actions of `table`, for the message that refuses an action of another function. */
export function actionsOf<A extends OperatorAction>(table: ActionTable<A>): A[] {
  return Object.keys(table) as A[];
}

/** Whether `table` runs `action`. */
export function runsAction<A extends OperatorAction>(
  table: ActionTable<A>,
  action: OperatorAction,
): action is A {
  return Object.hasOwn(table, action);
}

/** Runs `event` with its runner in `table`. */
export function runAction<A extends OperatorAction>(
  table: ActionTable<A>,
  ctx: OpsContext,
  event: Extract<OperatorEvent, { action: A }>,
  onProgress?: ProgressListener,
): Promise<DispatchResult> {
  // TypeScript cannot relate the looked-up runner to this event's own action: the key says it.
  const run = table[event.action as A] as ActionRunner<A>;
  return run(ctx, event, onProgress);
}

/** A procedure's result, as the dispatch result the functions return. */
export const procedureResult = (result: ProcedureResult): DispatchResult => ({
  kind: 'procedure',
  result,
});
