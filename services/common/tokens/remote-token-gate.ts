import type { TokenBroker } from '../../../contract/broker-tokens';
import {
  GATE_FAILURE_MAX,
  type TokenGateAnswer,
  TokenGateAnswerSchema,
  type TokenGateRequest,
} from '../../../contract/token-gate';
import { describeIssues } from '../../../contract/validation';
import type { TokenClaim, TokenCooldown, TokenGate, TokenGateState } from './token-gate';

/** The gate's answer to one request (the admin function's `token-gate` action runs this). */
export async function answerGateRequest(
  gate: TokenGate,
  broker: TokenBroker,
  request: TokenGateRequest,
): Promise<TokenGateAnswer> {
  switch (request.op) {
    case 'state':
      return { op: 'state', state: await gate.state(broker) };
    case 'claim':
      return { op: 'claim', claim: await gate.claim(broker, request.token, request.by) };
    case 'succeeded':
      await gate.succeeded(broker, request.claimId);
      return { op: 'succeeded' };
    case 'failed':
      return {
        op: 'failed',
        cooldown: await gate.failed(broker, request.claimId, {
          token: request.token,
          by: request.by,
          words: request.words,
          cooldownMs: request.cooldownMs,
        }),
      };
  }
}

/** Sends one request to the gate behind it and returns the answer as it came (parsed here). */
export type GateTransport = (broker: TokenBroker, request: TokenGateRequest) => Promise<unknown>;

/**
 * A stage's gate reached through something that can reach its database (the admin function, for
 * `tradeops token` outside the VPC). An answer that cannot be had or does not parse throws: a
 * cooldown nobody can see is not assumed over, and a claim nobody granted is not used.
 */
export class RemoteTokenGate implements TokenGate {
  constructor(
    private readonly send: GateTransport,
    /** Who answers, for messages (a function's name). */
    readonly where: string,
  ) {}

  private async ask<Op extends TokenGateRequest['op']>(
    broker: TokenBroker,
    request: Extract<TokenGateRequest, { op: Op }>,
  ): Promise<Extract<TokenGateAnswer, { op: Op }>> {
    const raw = await this.send(broker, request);
    const parsed = TokenGateAnswerSchema.safeParse(raw);
    // Not a ValidationError: nothing the caller typed is wrong, the gate's side is.
    if (!parsed.success)
      throw new Error(
        `${this.where}'s answer to the ${broker} gate's ${request.op} is not a gate's answer: ${describeIssues(parsed.error, raw).join('; ')}`,
      );
    const answer = parsed.data;
    if (answer.op !== request.op)
      throw new Error(`${this.where} answered ${answer.op} to the ${broker} gate's ${request.op}`);
    return answer as Extract<TokenGateAnswer, { op: Op }>;
  }

  async state(broker: TokenBroker): Promise<TokenGateState> {
    return (await this.ask(broker, { op: 'state' })).state;
  }

  async claim(broker: TokenBroker, token: string, by: string): Promise<TokenClaim> {
    return (await this.ask(broker, { op: 'claim', token, by })).claim;
  }

  async succeeded(broker: TokenBroker, claimId: string): Promise<void> {
    await this.ask(broker, { op: 'succeeded', claimId });
  }

  async failed(
    broker: TokenBroker,
    claimId: string,
    failure: { token: string; by: string; words: string; cooldownMs: number },
  ): Promise<TokenCooldown> {
    const words = failure.words.slice(0, GATE_FAILURE_MAX);
    return (await this.ask(broker, { op: 'failed', claimId, ...failure, words })).cooldown;
  }
}
