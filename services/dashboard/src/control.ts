import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { OperatorEvent } from '../../../contract/operator-events';
import type { Stage } from '../../../contract/stage';
import { type DispatchResult, dispatch } from '../../ops/dispatch';
import { discover, invoke, operatorFunction } from '../../ops/platform/aws/ops-functions';
import type { OpsContext } from '../../ops/platform/ports';
import { runReadinessCheck } from '../../ops/procedures/morning';

/** Where the dashboard's buttons go: the same procedures as the CLI's. */
export interface ControlGateway {
  run(event: OperatorEvent): Promise<DispatchResult>;
}

/** The local stack: the procedures in process, as `tradeops ... local` runs them. */
export function localControl(ctx: OpsContext): ControlGateway {
  return { run: (event) => dispatch(ctx, event, { readiness: runReadinessCheck }) };
}

/** AWS: the Ops stack's functions (emergency-stop, resume-trading, control), found by discovery. */
export function lambdaControl(stage: Stage, ssm: SSMClient, lambda: LambdaClient): ControlGateway {
  return {
    run: async (event) => {
      const fn = operatorFunction(await discover(stage, ssm), stage, event.action);
      return invoke<DispatchResult>(lambda, fn, event);
    },
  };
}
