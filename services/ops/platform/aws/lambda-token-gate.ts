import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { OperatorEvent } from '../../../../contract/operator-events';
import { RemoteTokenGate } from '../../../common/tokens/remote-token-gate';
import { invoke } from './ops-functions';

/**
 * A stage's broker token gate from outside the VPC: each claim, failure and look at the cooldown
 * is a `token-gate` event to the admin function (`adminFunction`, from the discovery parameter),
 * which answers from PostgreSQL. Nothing falls back: a gate that cannot be asked refuses the
 * login (an InvokeError, with the function's or the SDK's words).
 */
export function lambdaTokenGate(lambda: LambdaClient, adminFunction: string): RemoteTokenGate {
  return new RemoteTokenGate(async (broker, request) => {
    const event: OperatorEvent = { action: 'token-gate', broker, request };
    const result = await invoke<{ kind?: unknown; result?: unknown }>(lambda, adminFunction, event);
    if (result?.kind !== 'token-gate')
      throw new Error(`${adminFunction} answered a ${String(result?.kind)}, not a token gate's`);
    return result.result;
  }, adminFunction);
}
