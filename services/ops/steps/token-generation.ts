import { requiredTokens, tokenLoginCommand } from '../../../contract/broker-tokens';
import { messageOf } from '../../common/errors';
import { formatIst } from '../../common/time';
import type { TokenCooldown, TokenGateState } from '../../common/tokens/token-gate';
import {
  TokenInputError,
  type TokenLoginResult,
  type TokenStatus,
} from '../../common/tokens/token-login';
import type { OpsContext, TokenAccess } from '../platform/ports';
import { auditStep } from './audit';
import type { OperatorRequest } from './procedure';
import { StepRunner } from './runner';

/** One token's line in `tradeops token status`, the token check and the dashboard. */
export interface TokenRow extends TokenStatus {
  /** COOLDOWN: the token whose generation failed, while its broker's cooldown runs. */
  readonly shown: TokenStatus['state'] | 'COOLDOWN';
  /** The trading service trades or streams with it: the morning checklist needs it valid. */
  readonly required: boolean;
}

/** Every named token of the stage with the gate's state: what every reader of tokens shows. */
export interface TokenReport {
  readonly broker: TokenAccess['config']['broker'];
  readonly rows: readonly TokenRow[];
  readonly gate: TokenGateState;
  /** The command that regenerates the invalid ones (none when every token is valid). */
  readonly command?: string;
}

/**
 * The stage's tokens, each proven by its broker where the broker has a profile call, with the
 * broker's cooldown (the failing token shows COOLDOWN). A gate that cannot be read throws: a
 * cooldown nobody can see is not assumed over.
 */
export async function tokenReport(
  ctx: OpsContext,
  tokens: TokenAccess,
  names: readonly string[] = tokens.config.names,
): Promise<TokenReport> {
  const noGate: TokenGateState = {};
  const [statuses, gate] = await Promise.all([
    tokens.login.status(names, ctx.now()),
    tokens.gate ? tokens.gate.state(tokens.config.broker) : noGate,
  ]);
  const required = new Set(requiredTokens(tokens.config));
  const rows = statuses.map((s) => ({
    ...s,
    shown: gate.cooldown?.failedToken === s.name && s.state !== 'VALID' ? 'COOLDOWN' : s.state,
    required: required.has(s.name),
  })) satisfies TokenRow[];
  const invalid = rows.some((r) => r.state !== 'VALID');
  return {
    broker: tokens.config.broker,
    rows,
    gate,
    ...(invalid ? { command: tokenLoginCommand(ctx.stage, tokens.config.broker) } : {}),
  };
}

/** The runbook's cooldown message (seed 000, 2.3), with the time in IST. */
export function cooldownLines(cooldown: TokenCooldown): string[] {
  return [
    'BROKER COOLDOWN ACTIVE',
    `Last failed API: ${cooldown.failedToken}`,
    `Cooldown until: ${formatIst(cooldown.until)}`,
    `(${cooldown.failure}) Wait: do not retry, restart or change credentials.`,
  ];
}

/** What `regenerateTokens` is asked to do. */
export interface RegenerateRequest extends OperatorRequest {
  /** `--name`: these tokens, valid or not (a token revoked mid-day may still look valid). */
  readonly names?: readonly string[];
  /** What a person pasted for `name` after opening `link` (interactive brokers only). */
  readonly paste?: (name: string, link: string) => Promise<string>;
  /** Each line as it happens (the runbook's messages); failures and refusals as `error`. */
  readonly say: (line: string, level?: 'error') => void;
}

/** How a regeneration ended. */
export interface RegenerateResult {
  /** FAST_EXIT: nothing to do; COOLDOWN: refused, or a failure started one; BUSY: another runs. */
  readonly outcome: 'FAST_EXIT' | 'OK' | 'COOLDOWN' | 'BUSY' | 'BAD_INPUT';
  readonly generated: readonly string[];
  /** Valid already (a resumed run does not regenerate them). */
  readonly alreadyValid: readonly string[];
  readonly cooldown?: TokenCooldown;
  readonly detail?: string;
}

/**
 * Regenerates the stage's invalid tokens at its broker (the Upstox runbook's ResumeTokenTest), one
 * exchange each, each behind a claim on the broker's gate; a failed exchange starts the cooldown
 * and ends the run: nothing retries in a loop. Progress is the secrets themselves: a token is
 * regenerated only while it is not valid, so a run interrupted half-way and started again goes on
 * with the tokens still invalid. Every generation, refusal and cooldown is audited.
 */
export async function regenerateTokens(
  ctx: OpsContext,
  tokens: TokenAccess,
  request: RegenerateRequest,
): Promise<RegenerateResult> {
  const { config, login, gate } = tokens;
  const { broker } = config;
  const { say } = request;
  const audit = (action: string, outcome: 'OK' | 'FAILED' | 'REFUSED', detail: object) =>
    auditStep(ctx, new StepRunner(), {
      action,
      request,
      after: { broker, ...detail },
      outcome,
      result: detail,
    }).then((step) => say(`audit: ${step.detail}`));
  if (!gate)
    throw new Error(
      `no ${broker} token gate reachable from here (its cooldown is in the stage's database): a generation that could bypass it does not happen`,
    );
  const refuse = async (state: TokenGateState, token: string): Promise<RegenerateResult> => {
    if (state.cooldown) {
      for (const line of cooldownLines(state.cooldown)) say(line, 'error');
      await audit('token-login', 'REFUSED', { token, cooldownUntil: state.cooldown.until });
      return { outcome: 'COOLDOWN', generated: [], alreadyValid: [], cooldown: state.cooldown };
    }
    const busy = state.busy;
    const detail = busy
      ? `another generation is under way: ${busy.by} for ${busy.token}, until ${formatIst(busy.until)} at the latest`
      : 'the gate refused without a reason';
    say(detail, 'error');
    return { outcome: 'BUSY', generated: [], alreadyValid: [], detail };
  };

  const before = await gate.state(broker);
  if (before.cooldown) return refuse(before, before.cooldown.failedToken);

  let wanted: string[];
  let alreadyValid: string[] = [];
  if (request.names?.length) {
    wanted = [...request.names];
  } else {
    const statuses = await login.status(config.names, ctx.now());
    // A token the broker could not be asked about counts as valid here: regenerating it while
    // the broker is unreachable would only fail and start a cooldown (the status shows it).
    wanted = statuses.filter((s) => s.state !== 'VALID').map((s) => s.name);
    alreadyValid = statuses.filter((s) => s.state === 'VALID').map((s) => s.name);
    if (wanted.length === 0) {
      say(`FAST EXIT: all ${statuses.length} tokens valid`);
      return { outcome: 'FAST_EXIT', generated: [], alreadyValid };
    }
    if (alreadyValid.length) say(`Already valid, not regenerated: [${alreadyValid.join(', ')}]`);
  }
  say(`Generating ${wanted.length} token${wanted.length === 1 ? '' : 's'}: [${wanted.join(', ')}]`);

  const generated: string[] = [];
  for (const name of wanted) {
    let pasted: string | undefined;
    if (login.mode === 'interactive') {
      if (!request.paste)
        throw new Error(`${broker} logs in through a person: nothing to paste from`);
      pasted = await request.paste(name, await login.loginLink(name));
    }
    // Claimed after the paste: a person's minutes at the login page hold nobody else up.
    const claim = await gate.claim(broker, name, request.requestedBy);
    if (!claim.granted) return { ...(await refuse(claim.state, name)), generated, alreadyValid };
    let result: TokenLoginResult;
    try {
      result = await login.exchange({ name, pasted, now: ctx.now() });
    } catch (error) {
      if (error instanceof TokenInputError) {
        // Nothing reached the broker: the claim ends, no cooldown.
        await gate.succeeded(broker, claim.id);
        say(`${name}: ${error.message}`, 'error');
        return { outcome: 'BAD_INPUT', generated, alreadyValid, detail: error.message };
      }
      const words = messageOf(error);
      const cooldown = await gate.failed(broker, claim.id, {
        token: name,
        by: request.requestedBy,
        words,
        cooldownMs: config.cooldownMinutes * 60_000,
      });
      say(`${name}: ✗ FAILED: ${words}`, 'error');
      for (const line of cooldownLines(cooldown)) say(line, 'error');
      await audit('token-login', 'FAILED', { token: name, error: words });
      await audit('token-cooldown', 'OK', {
        token: name,
        until: new Date(cooldown.until).toISOString(),
        minutes: config.cooldownMinutes,
      });
      return { outcome: 'COOLDOWN', generated, alreadyValid, cooldown, detail: words };
    }
    generated.push(name);
    say(
      `token ${name} stored for ${result.userId} in ${login.where}: ✓ VALID until ${formatIst(Date.parse(result.expiresAt))}`,
    );
    // Outside the try: a gate that cannot be told of a success must not start a cooldown for it.
    await gate.succeeded(broker, claim.id).catch((error: unknown) => {
      say(
        `${name}: the gate was not told it worked (${messageOf(error)}): its claim ends by itself`,
        'error',
      );
    });
    await audit('token-login', 'OK', {
      token: name,
      userId: result.userId,
      expiresAt: result.expiresAt,
    });
  }
  return { outcome: 'OK', generated, alreadyValid };
}
