import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { StageTokensSchema } from '../../../../contract/broker-tokens';
import { opsDiscoveryParameter } from '../../../../contract/names';
import type { OperatorAction } from '../../../../contract/operator-actions';
import { FUNCTION_OF_ACTION } from '../../../../contract/operator-actions';
import { ScheduledProcedureNameSchema } from '../../../../contract/operator-events';
import type { Stage } from '../../../../contract/stage';
import { parseOrThrow } from '../../../../contract/validation';

/** What the Ops stack publishes for the CLI (and the dashboard) at `/algo-trading/<stage>/ops`. */
export const OpsDiscoverySchema = z.object({
  region: z.string(),
  functions: z.object({
    emergencyStop: z.string(),
    resume: z.string(),
    control: z.string(),
    // Optional: a stack deployed before these existed still gets its kill switch.
    admin: z.string().optional(),
    scheduled: z.partialRecord(ScheduledProcedureNameSchema, z.string()).optional(),
  }),
  topics: z.object({ page: z.string(), notify: z.string() }),
  bucket: z.string(),
  /** Optional: a stack deployed before the records bucket existed publishes none. */
  recordsBucket: z.string().optional(),
  cluster: z.string(),
  /** The stage's named broker tokens; absent: the paper broker (or a stack from before them). */
  tokens: StageTokensSchema.optional(),
  /** The egress IPs registered with the broker (Angel One's calls name the first). */
  registeredEgressIps: z.array(z.ipv4()).optional(),
});
export type OpsDiscovery = z.output<typeof OpsDiscoverySchema>;

export async function discover(stage: Stage, ssm: SSMClient): Promise<OpsDiscovery> {
  const name = opsDiscoveryParameter(stage);
  const out = await ssm.send(new GetParameterCommand({ Name: name }));
  return parseOrThrow(
    OpsDiscoverySchema,
    JSON.parse(out.Parameter?.Value ?? '{}'),
    `parameter ${name}`,
  );
}

/** Thrown when the function could not be reached or failed: the caller may fall back. */
export class InvokeError extends Error {
  override readonly name = 'InvokeError';

  /** True when the function ran and failed: its action may have happened, so no fallback. */
  constructor(
    message: string,
    readonly ran = false,
  ) {
    super(message);
  }
}

/** The function that runs `action` on this stage, or an InvokeError saying none is published. */
export function operatorFunction(
  discovery: OpsDiscovery,
  stage: Stage,
  action: OperatorAction,
): string {
  const fn = discovery.functions[FUNCTION_OF_ACTION[action]];
  if (!fn) throw new InvokeError(`the Ops stack of ${stage} publishes no function for ${action}`);
  return fn;
}

/**
 * Invokes an ops function synchronously and returns what it returned. A function error or an
 * SDK failure (no route, access denied, throttled) is an InvokeError.
 */
export async function invoke<T>(
  lambda: LambdaClient,
  functionName: string,
  event: unknown,
): Promise<T> {
  let out: InvokeCommandOutput;
  try {
    out = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    );
  } catch (error) {
    throw new InvokeError(
      `could not invoke ${functionName}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) {
    let message = text;
    try {
      message = (JSON.parse(text) as { errorMessage?: string }).errorMessage ?? text;
    } catch {
      // raw text
    }
    throw new InvokeError(`${functionName} failed: ${message}`, true);
  }
  return JSON.parse(text) as T;
}

export function awsClients(region?: string) {
  const config = region ? { region } : {};
  return {
    ssm: new SSMClient(config),
    // The emergency stop can take minutes (it verifies positions reach zero).
    lambda: new LambdaClient({ ...config, requestHandler: { requestTimeout: 16 * 60_000 } }),
  };
}
