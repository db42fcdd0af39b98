import { createInterface } from 'node:readline/promises';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Command, Option } from 'commander';
import { DEFAULT_KITE_TOKEN_NAME, KiteTokenNameSchema } from '../../contract/kite';
import type { AnyStage } from '../../contract/names';
import { parseOrThrow } from '../../contract/validation';
import {
  exchangeRequestToken,
  KITE_LOGIN_URL,
  kiteLoginLink,
  kiteTokenStatus,
  parseRequestToken,
} from '../../services/common/kite/kite-login';
import {
  type KiteSecretStore,
  LocalKiteSecretStore,
  SecretsManagerKiteSecretStore,
} from '../../services/common/kite/kite-secret-store';
import { formatIst } from '../../services/common/time';
import { auditStep } from '../../services/ops/steps/audit';
import { StepRunner } from '../../services/ops/steps/runner';
import { readStackInfo } from '../local/stack-info';
import {
  type CliIo,
  type CommonOptions,
  common,
  requester,
  stageArgument,
  withLocalStack,
} from './cli-support';
import { EXIT, table, UsageError } from './output';

/** Where a stage's Kite secrets are and where its Kite API answers. */
interface KiteTarget {
  readonly store: KiteSecretStore;
  readonly apiRoot?: string;
  readonly loginUrl: string;
}

function kiteTarget(stage: AnyStage, region: string | undefined): KiteTarget {
  if (stage !== 'local')
    return {
      store: new SecretsManagerKiteSecretStore(new SecretsManagerClient({ region }), stage),
      loginUrl: KITE_LOGIN_URL,
    };
  const { kite } = readStackInfo();
  if (!kite)
    throw new UsageError(
      'the local stack runs the paper broker: start it with "npm start -- --broker kite"',
    );
  return {
    store: new LocalKiteSecretStore(kite.secretDir),
    apiRoot: kite.apiRoot,
    loginUrl: kite.loginUrl,
  };
}

async function askForRequestToken(io: CliIo): Promise<string> {
  if (!io.stdin.isTTY)
    throw new UsageError('no terminal to paste into: pass --request-token <token or redirect URL>');
  const rl = createInterface({ input: io.stdin, output: process.stderr });
  const pasted = await rl.question('Paste the request_token or the whole redirect URL: ');
  rl.close();
  return pasted;
}

interface LoginOptions extends CommonOptions {
  broker: 'kite';
  name: string;
  requestToken?: string;
}

/** `tradeops token login|status`: the Kite access tokens of a stage. */
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
        'log in to Kite: open the printed link, then paste the request_token (or the redirect URL)',
      )
      .addArgument(stageArgument())
      .addOption(
        new Option('--broker <broker>', 'the broker').choices(['kite']).makeOptionMandatory(),
      )
      .addOption(new Option('--name <name>', 'the token name').default(DEFAULT_KITE_TOKEN_NAME))
      .addOption(
        new Option('--request-token <text>', 'the request_token or redirect URL (no prompt)'),
      ),
    false,
  )
    .addOption(new Option('--as <name>', 'who (audited; default user@host)'))
    .action(async (stage: AnyStage, options: LoginOptions) => {
      const name = parseOrThrow(KiteTokenNameSchema, options.name, '--name');
      const target = kiteTarget(stage, options.region);
      const app = await target.store.readApp();
      io.err(`Log in to Kite as the desk's user: ${kiteLoginLink(app.api_key, target.loginUrl)}`);
      const requestToken = parseRequestToken(
        options.requestToken ?? (await askForRequestToken(io)),
      );
      const result = await exchangeRequestToken(
        target.store,
        { name, requestToken },
        { apiRoot: target.apiRoot },
      );
      io.out(
        `token ${result.name} stored for ${result.userId} in ${target.store.where}: valid until ${formatIst(Date.parse(result.expiresAt))}`,
      );
      if (stage === 'local') {
        const audited = await withLocalStack((ctx) =>
          auditStep(ctx, new StepRunner(), {
            action: 'token-login',
            request: { requestedBy: requester(options), reason: `Kite login (${name})` },
            after: { name, userId: result.userId, expiresAt: result.expiresAt },
            outcome: 'OK',
            result: { name, userId: result.userId },
          }),
        );
        io.out(`audit: ${audited.detail || audited.status}`);
      }
    });

  common(
    token
      .command('status')
      .description(
        'each Kite token: VALID/EXPIRED/MISSING, its age and expiry (IST), proven by Kite',
      )
      .addArgument(stageArgument())
      .addOption(new Option('--name <names...>', 'token names (default: every stored token)')),
    false,
  ).action(async (stage: AnyStage, options: CommonOptions & { name?: string[] }) => {
    const target = kiteTarget(stage, options.region);
    const names = options.name ?? (await target.store.listTokens());
    if (names.length === 0) names.push(DEFAULT_KITE_TOKEN_NAME);
    const rows = await kiteTokenStatus(target.store, names, { apiRoot: target.apiRoot });
    if (options.json) {
      io.out(JSON.stringify(rows, null, 2));
    } else {
      const now = Date.now();
      const age = (at?: number) =>
        at === undefined
          ? '-'
          : `${Math.floor((now - at) / 3_600_000)}h${Math.floor(((now - at) % 3_600_000) / 60_000)}m`;
      io.out(
        table(
          rows.map((r) => ({
            token: r.name,
            // A token Kite could not be asked about is not known to work: shown, and exit 1.
            state: r.state === 'VALID' && !r.provenByKite ? 'VALID (unproven)' : r.state,
            user: r.userId ?? '-',
            age: age(r.loginTime),
            expires: r.expiresAt === undefined ? '-' : formatIst(r.expiresAt),
            proof: r.proof,
          })),
        ),
      );
    }
    setExit(rows.every((r) => r.state === 'VALID' && r.provenByKite) ? EXIT.ok : EXIT.failed);
  });
}
