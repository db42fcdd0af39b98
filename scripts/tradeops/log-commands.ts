import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { type Command, Option } from 'commander';
import { type AnyStage, operatorNames } from '../../contract/names';
import { sleep } from '../../services/common/retry';
import { formatIst, isoUtc } from '../../services/common/time';
import { CloudWatchLogSource } from '../../services/ops/platform/aws/cloudwatch-log-source';
import { LocalLogSource } from '../../services/ops/platform/local/local-platform';
import type { LogLine, LogSource } from '../../services/ops/platform/ports';
import { readStackInfo } from '../local/stack-info';
import { type CliIo, type CommonOptions, common, stageArgument } from './cli-support';
import { EXIT, UsageError } from './output';

/**
 * `15m`, `2h`, `1d`, `30s` as milliseconds; anything else is a usage error naming it. Zero is one
 * too: `--since 0m` would print nothing and exit 0, which reads as "no log lines".
 */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  const count = Number(m?.[1]);
  if (!m || !Number.isSafeInteger(count) || count <= 0)
    throw new UsageError(
      `--since takes a duration like 30s, 15m, 2h or 1d, more than zero (got ${JSON.stringify(text)})`,
    );
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return count * unit;
}

function logSource(stage: AnyStage, region?: string): LogSource {
  if (stage === 'local') return new LocalLogSource(readStackInfo().logDir);
  return new CloudWatchLogSource(
    new CloudWatchLogsClient(region ? { region } : {}),
    operatorNames(stage).logGroup,
  );
}

const logLine = (l: LogLine) => `${formatIst(l.timestamp)} ${l.stream} ${l.message}`;

/** `tradeops logs <stage>`: the trading service's log lines, once or followed. */
export function addLogCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  common(
    program
      .command('logs')
      .description("the trading service's log lines (CloudWatch Logs; local files locally)")
      .addArgument(stageArgument())
      .addOption(new Option('--since <duration>', 'how far back: 30s, 15m, 2h, 1d').default('15m'))
      .addOption(new Option('--filter <text>', 'only lines containing it (e.g. ERROR)'))
      .addOption(new Option('--limit <n>', 'at most this many lines').default('500'))
      .addOption(new Option('--follow', 'keep printing new lines until interrupted')),
    false,
  ).action(
    async (
      stage: AnyStage,
      o: CommonOptions & { since: string; filter?: string; limit: string; follow?: boolean },
    ) => {
      const sinceMs = Date.now() - parseDuration(o.since);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(
          `--limit takes a positive whole number (got ${JSON.stringify(o.limit)})`,
        );
      const source = logSource(stage, o.region);
      const print = (lines: LogLine[]) => {
        for (const l of lines)
          io.out(o.json ? JSON.stringify({ ...l, timestamp: isoUtc(l.timestamp) }) : logLine(l));
      };
      let lines = await source.lines({ sinceMs, pattern: o.filter, limit });
      print(lines);
      if (o.follow) {
        let stop = false;
        process.once('SIGINT', () => {
          stop = true;
        });
        // Lines of the last printed millisecond may arrive late: remember what was printed there.
        let last = lines.at(-1)?.timestamp ?? sinceMs;
        let seen = new Set(lines.filter((l) => l.timestamp === last).map((l) => l.message));
        while (!stop) {
          await sleep(2000);
          lines = (await source.lines({ sinceMs: last, pattern: o.filter, limit })).filter(
            (l) => l.timestamp > last || !seen.has(l.message),
          );
          print(lines);
          const newest = lines.at(-1)?.timestamp;
          if (newest !== undefined && newest > last) {
            last = newest;
            seen = new Set();
          }
          for (const l of lines) if (l.timestamp === last) seen.add(l.message);
        }
      }
      setExit(EXIT.ok);
    },
  );
}
