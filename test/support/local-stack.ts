import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type SpawnedLocalStack, spawnLocalStack } from '../../scripts/local/spawn-stack';
import { DEFAULT_STRATEGIES } from '../../services/trading/src/strategies/strategy-config';
import { DEFAULT_UNIVERSE } from '../../services/trading/src/universe';

/**
 * A protective stop for a paper BUY of `symbol`: 6% below its reference price. The paper market
 * walks (1.5% a day, trending regimes) at the stack's 10x session speed, so a stop 2% below could
 * end above the price on a slow machine (INVALID_STOP); 6% keeps a 10-share trade's risk within
 * the default limits (0.5% of capital a trade).
 */
export function stopBelow(symbol: string): number {
  const instrument = DEFAULT_UNIVERSE.find((i) => i.symbol === symbol);
  if (!instrument) throw new Error(`${symbol} is not in the default universe`);
  return Math.round(instrument.referencePrice * 0.94);
}

/**
 * The local stack with the sample strategies switched off: only the test's own orders. The
 * strategies would trade once their opening range closes (about 90 s in at the stack's 10x
 * session speed) and change what a test counts.
 */
export function spawnQuietLocalStack(
  env: Record<string, string> = {},
  args: readonly string[] = [],
): Promise<SpawnedLocalStack> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'strategies-')), 'none.json');
  writeFileSync(file, JSON.stringify(DEFAULT_STRATEGIES.map((s) => ({ ...s, enabled: false }))));
  return spawnLocalStack({ STRATEGIES_FILE: file, ...env }, 90_000, args);
}

/** A request to the stack's trading API with its control token; the answer's status and JSON. */
export async function tradingApi(
  stack: SpawnedLocalStack,
  method: 'GET' | 'POST',
  urlPath: string,
  body?: unknown,
) {
  const res = await fetch(`${stack.info.tradingUrl}${urlPath}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.info.controlToken}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * A paper market buy through the trading API (10 shares, stop about 2% under the price), for
 * the manual strategy unless `strategyId` names another.
 */
export function buy(
  stack: SpawnedLocalStack,
  symbol: string,
  stopPrice: number,
  strategyId?: string,
) {
  return tradingApi(stack, 'POST', '/orders', {
    strategyId,
    symbol,
    side: 'BUY',
    type: 'MARKET',
    quantity: 10,
    stopPrice,
    requestedBy: 'test',
  });
}
