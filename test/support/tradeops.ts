import type { CliIo } from '../../scripts/tradeops/cli-support';
import { run } from '../../scripts/tradeops/main';

/** The real CLI, in this process: its exit code and what it printed. */
export async function tradeopsInProcess(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdin: { isTTY: false } as NodeJS.ReadStream,
  };
  const code = await run(['node', 'tradeops', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
