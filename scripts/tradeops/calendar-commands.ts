import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Argument, type Command } from 'commander';
import type { AnyStage } from '../../contract/names';
import type { OperatorEvent } from '../../contract/operator-events';
import { parseCalendarCsv } from '../../services/common/calendar/calendar-csv';
import { messageOf } from '../../services/common/errors';
import { type CliIo, type CommonOptions, common, requester, stageArgument } from './cli-support';
import { EXIT, UsageError } from './output';

/** Runs an operator event as every mutating command does: confirmed, audited, with fallbacks. */
type Execute = (stage: AnyStage, event: OperatorEvent, options: CommonOptions) => Promise<number>;

/**
 * `tradeops calendar import <stage> <file.csv>`: the exchange's published list (columns `date,
 * type, description, open, close`) validated here, every bad line named (exit 2, nothing sent);
 * then confirmed and sent to the admin function, which replaces each year in the file wholly and
 * audits it in one transaction.
 */
export function addCalendarCommands(
  program: Command,
  io: CliIo,
  setExit: (code: number) => void,
  execute: Execute,
): void {
  const calendar = program
    .command('calendar')
    .description('the NSE market calendar: holidays, special sessions, settlement holidays');

  common(
    calendar
      .command('import')
      .description("validate and load the exchange's list for a year (the whole file or nothing)")
      .addArgument(stageArgument())
      .addArgument(new Argument('<file>', 'CSV: date,type,description,open,close')),
    true,
  ).action(async (stage: AnyStage, file: string, o: CommonOptions) => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${messageOf(error)}`);
    }
    const parsed = parseCalendarCsv(text);
    if (!parsed.ok) {
      if (o.json) io.out(JSON.stringify({ file, loaded: false, errors: parsed.errors }, null, 2));
      for (const error of parsed.errors) io.err(`${file}: ${error}`);
      io.err(`${file}: ${parsed.errors.length} problem(s); nothing was loaded`);
      setExit(EXIT.usage);
      return;
    }
    if (!o.json) io.err(`${file}: ${parsed.entries.length} entries valid`);
    setExit(
      await execute(
        stage,
        {
          action: 'calendar-import',
          requestedBy: requester(o),
          reason: o.reason ?? '',
          source: path.basename(file),
          entries: parsed.entries,
        },
        o,
      ),
    );
  });
}
