import { rm } from 'node:fs/promises';
import type { TestPostgresGlobal } from './database';

export default async function globalTeardown(): Promise<void> {
  const global = globalThis as TestPostgresGlobal;
  await global.__algoTradingTestPostgres?.stop();
  if (global.__algoTradingTestRunDir)
    await rm(global.__algoTradingTestRunDir, { recursive: true, force: true });
}
