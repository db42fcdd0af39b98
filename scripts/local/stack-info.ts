import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { BrokerKindSchema } from '../../contract/brokers';
import { parseOrThrow } from '../../contract/validation';
import { localDir } from './paths';

/** A live broker's simulator and local secrets (`LocalBrokerEndpoints` of the ops context). */
const LocalBrokerSchema = z.object({
  apiRoot: z.string(),
  secretDir: z.string(),
  loginUrl: z.string().optional(),
  publicIp: z.string().optional(),
});

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
  /** With `--broker kite`: the simulator's endpoints (and its ticker) and the local secrets. */
  kite: LocalBrokerSchema.extend({ tickerRoot: z.string(), loginUrl: z.string() }).optional(),
  /** With `--broker upstox`: the simulator's API and authorize dialog and the local secrets. */
  upstox: LocalBrokerSchema.optional(),
  /** With `--broker angelone`: the simulator's API, the IP it sees and the local secrets. */
  angelone: LocalBrokerSchema.optional(),
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
