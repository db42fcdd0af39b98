import type { TestPostgresGlobal } from './database';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as TestPostgresGlobal).__algoTradingTestPostgres?.stop();
}
