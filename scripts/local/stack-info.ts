import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { BrokerKindSchema } from '../../contract/kite';
import { parseOrThrow } from '../../contract/validation';
import { localDir } from './paths';

export const LocalStackInfoSchema = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  databaseUrl: z.string(),
  controlToken: z.string(),
  parameterFile: z.string(),
  objectStoreDir: z.string(),
  logDir: z.string(),
  fleetUrl: z.string(),
  tradingUrl: z.string(),
  dashboardUrl: z.string(),
  dashboardToken: z.string(),
  /** The broker tokens the checks require (LOCAL_BROKER_TOKENS); none: whatever the broker has. */
  brokerTokens: z.array(z.string()).default([]),
  /** The broker the trading tasks use: paper, or a live broker against its local simulator. */
  broker: BrokerKindSchema.default('paper'),
  /** With `--broker kite`: the simulator's endpoints and the local Kite secret store. */
  kite: z
    .object({
      apiRoot: z.string(),
      tickerRoot: z.string(),
      loginUrl: z.string(),
      secretDir: z.string(),
    })
    .optional(),
  /** With `--broker upstox`: the simulator's API and the local Upstox secret store. */
  upstox: z.object({ apiRoot: z.string(), secretDir: z.string() }).optional(),
  /** With `--broker angelone`: the simulator's API and the local Angel One secret store. */
  angelone: z.object({ apiRoot: z.string(), secretDir: z.string() }).optional(),
});
/** What a running local stack tells the CLI and the dashboard about itself. */
export type LocalStackInfo = z.output<typeof LocalStackInfoSchema>;

const infoFile = () => path.join(localDir(), 'stack.json');

export async function writeStackInfo(info: LocalStackInfo): Promise<void> {
  await writeFile(infoFile(), JSON.stringify(info, null, 2));
}

export async function removeStackInfo(): Promise<void> {
  await rm(infoFile(), { force: true });
}

/** The running local stack, or a clear error saying how to start one. */
export function readStackInfo(): LocalStackInfo {
  let text: string;
  try {
    text = readFileSync(infoFile(), 'utf8');
  } catch {
    throw new Error(`The local stack is not running (no ${infoFile()}): start it with "npm start"`);
  }
  const info = parseOrThrow(LocalStackInfoSchema, JSON.parse(text), infoFile());
  try {
    process.kill(info.pid, 0);
  } catch {
    throw new Error(
      `The local stack that wrote ${infoFile()} (pid ${info.pid}) is gone: start it with "npm start"`,
    );
  }
  return info;
}
