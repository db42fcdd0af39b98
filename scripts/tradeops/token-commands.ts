import { createInterface } from 'node:readline';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Command, Option } from 'commander';
import {
  stageTokensFor,
  TOKEN_BROKERS,
  type TokenBroker,
  TokenNameSchema,
} from '../../contract/broker-tokens';
import type { AnyStage } from '../../contract/names';
import { parseOrThrow } from '../../contract/validation';
import { messageOf } from '../../services/common/errors';
import { formatIst } from '../../services/common/time';
import { tokenLogin } from '../../services/common/tokens/token-login-registry';
import { lambdaTokenGate } from '../../services/ops/platform/aws/lambda-token-gate';
import {
  awsClients,
  discover,
  type OpsDiscovery,
} from '../../services/ops/platform/aws/ops-functions';
import type { OpsContext, TokenAccess } from '../../services/ops/platform/ports';
import {
  cooldownLines,
  regenerateTokens,
  type TokenReport,
  tokenReport,
} from '../../services/ops/steps/token-generation';
import {
  type CliIo,
  type CommonOptions,
  common,
  outsideVpcOpsContext,
  requester,
  stageArgument,
  withLocalStack,
} from './cli-support';
import { EXIT, table, UsageError } from './output';

/**
 * Runs `fn` with the stage's ops context and its tokens: the local stack's (its database holds the
 * gate), or AWS's through the SDK's default credentials: the secrets directly, the cooldown gate
 * through the admin function (the database is inside the VPC). Without the discovery parameter
 * there is no function to ask: status cannot see a cooldown and a login is refused.
 */
async function withTokens<T>(
  stage: AnyStage,
  options: CommonOptions & { broker?: TokenBroker },
  io: CliIo,
  fn: (ctx: OpsContext, tokens: TokenAccess) => Promise<T>,
): Promise<T> {
  if (stage === 'local')
    return withLocalStack((ctx) => {
      if (!ctx.tokens)
        throw new UsageError(
          'the local stack runs the paper broker: start it with "npm start -- --broker kite|upstox|angelone"',
        );
      if (options.broker && options.broker !== ctx.tokens.config.broker)
        throw new UsageError(
          `the local stack trades through ${ctx.tokens.config.broker}, not ${options.broker}`,
        );
      return fn(ctx, ctx.tokens);
    });
  const { ssm, lambda } = awsClients(options.region);
  let discovery: OpsDiscovery | undefined;
  try {
    discovery = await discover(stage, ssm);
  } catch (error) {
    // The broker's defaults and --broker say what to look at; the gate cannot be asked.
    io.err(`ops discovery failed (${messageOf(error)}): the ${stage} token gate cannot be asked`);
  }
  const broker = options.broker ?? discovery?.tokens?.broker;
  if (!broker) throw new UsageError(`${stage} publishes no broker tokens: pass --broker`);
  const config = discovery?.tokens?.broker === broker ? discovery.tokens : stageTokensFor(broker);
  const ctx = outsideVpcOpsContext(stage, options.region, discovery);
  const client = new SecretsManagerClient(options.region ? { region: options.region } : {});
  const admin = discovery?.functions.admin;
  if (discovery && !admin)
    io.err(`the Ops stack of ${stage} publishes no admin function: its token gate cannot be asked`);
  return fn(ctx, {
    config,
    login: tokenLogin(broker, {
      stage,
      secrets: { kind: 'aws', client },
      publicIp: discovery?.registeredEgressIps?.[0],
    }),
    ...(admin ? { gate: lambdaTokenGate(lambda, admin) } : {}),
  });
}

/** Lines a person pastes: from the terminal, or piped (one per token, in the order asked). */
function pastedLines(io: CliIo, given: readonly string[]) {
  const queue = [...given];
  let lines: AsyncIterator<string> | undefined;
  return async (name: string, link: string): Promise<string> => {
    io.err(`${name}: log in at ${link}`);
    const next = queue.shift();
    if (next !== undefined) return next;
    io.err(`${name}: paste the code (or the whole redirect URL):`);
    lines ??= createInterface({ input: io.stdin, terminal: false })[Symbol.asyncIterator]();
    const line = await lines.next();
    if (line.done)
      throw new UsageError(
        'no terminal to paste into: pass --request-token <token or redirect URL>',
      );
    return line.value;
  };
}

function age(now: number, at?: number): string {
  if (at === undefined) return '-';
  const minutes = Math.floor((now - at) / 60_000);
  return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

function printReport(io: CliIo, report: TokenReport, now: number): void {
  io.out(
    table(
      report.rows.map((r) => ({
        token: r.name,
        // A token its broker could not be asked about is not known to work: shown, and exit 1.
        state: r.shown === 'VALID' && !r.proven ? 'VALID (unproven)' : r.shown,
        use: r.required ? 'trades/streams' : '-',
        user: r.userId ?? '-',
        age: age(now, r.loginTime),
        expires: r.expiresAt === undefined ? '-' : formatIst(r.expiresAt),
        proof: r.proof,
      })),
    ),
  );
  if (report.gate.cooldown) for (const line of cooldownLines(report.gate.cooldown)) io.out(line);
  if (report.command) io.out(`Regenerate the invalid ones: ${report.command}`);
}

interface LoginOptions extends CommonOptions {
  broker: TokenBroker;
  name?: string[];
  allInvalid?: boolean;
  requestToken?: string[];
}

/**
 * `tradeops token login|status`: a stage's named broker tokens (the Upstox runbook's token
 * operations, for every broker in the login registry).
 *
 * Exit codes. status: 0 every token VALID and proven by its broker (with one line, "FAST EXIT: all
 * N tokens valid"); 1 any EXPIRED, MISSING, COOLDOWN or unproven; 2 bad usage. login: 0 every
 * wanted token generated (or none needed: FAST EXIT); 1 refused by a cooldown or another
 * generation under way, or a failed exchange (which starts the cooldown); 2 bad usage or a paste
 * that is not a code (no cooldown).
 */
export function addTokenCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  const token = program.command('token').description("the broker's daily access tokens");

  common(
    token
      .command('login')
      .description(
        'regenerate named tokens: open each printed link, paste the code (or the redirect URL); unattended brokers need nothing pasted',
      )
      .addArgument(stageArgument())
      .addOption(
        new Option('--broker <broker>', 'the broker').choices(TOKEN_BROKERS).makeOptionMandatory(),
      )
      .addOption(
        new Option('--name <names...>', 'these tokens, valid or not').conflicts('allInvalid'),
      )
      .addOption(new Option('--all-invalid', 'every token of the stage that is not valid'))
      .addOption(
        new Option(
          '--request-token <text...>',
          'the code(s) or redirect URL(s), in order (no prompt)',
        ),
      ),
    false,
  )
    .addOption(new Option('--as <name>', 'who (audited; default user@host)'))
    .action(async (stage: AnyStage, options: LoginOptions) => {
      const names = (options.name ?? []).map((n) => parseOrThrow(TokenNameSchema, n, '--name'));
      await withTokens(stage, options, io, async (ctx, tokens) => {
        const unknown = names.filter((n) => !tokens.config.names.includes(n));
        if (unknown.length)
          throw new UsageError(
            `${stage} has no ${tokens.config.broker} token ${unknown.join(', ')}: its tokens are ${tokens.config.names.join(', ')}`,
          );
        // Without --name or --all-invalid: the trading token (the Kite desk's one login).
        const wanted = names.length
          ? names
          : options.allInvalid
            ? undefined
            : [tokens.config.trades];
        const result = await regenerateTokens(ctx, tokens, {
          requestedBy: requester(options),
          reason: `${tokens.config.broker} token login`,
          names: wanted,
          paste: pastedLines(io, options.requestToken ?? []),
          say: (line, level) => (level === 'error' ? io.err(line) : io.out(line)),
        });
        if (options.json) io.out(JSON.stringify(result, null, 2));
        setExit(
          result.outcome === 'OK' || result.outcome === 'FAST_EXIT'
            ? EXIT.ok
            : result.outcome === 'BAD_INPUT'
              ? EXIT.usage
              : EXIT.failed,
        );
      });
    });

  common(
    token
      .command('status')
      .description(
        'each named token: VALID/EXPIRED/MISSING/COOLDOWN, its age and expiry (IST), proven by the broker',
      )
      .addArgument(stageArgument())
      .addOption(
        new Option('--broker <broker>', "the broker (default: the stage's)").choices(TOKEN_BROKERS),
      )
      .addOption(
        new Option('--name <names...>', 'token names (default: every token of the stage)'),
      ),
    false,
  ).action(
    async (stage: AnyStage, options: CommonOptions & { broker?: TokenBroker; name?: string[] }) => {
      await withTokens(stage, options, io, async (ctx, tokens) => {
        const report = await tokenReport(ctx, tokens, options.name ?? tokens.config.names);
        const good = report.rows.every((r) => r.shown === 'VALID' && r.proven);
        if (options.json) io.out(JSON.stringify(report, null, 2));
        else printReport(io, report, ctx.now());
        if (good && !options.json) io.out(`FAST EXIT: all ${report.rows.length} tokens valid`);
        setExit(good ? EXIT.ok : EXIT.failed);
      });
    },
  );
}
