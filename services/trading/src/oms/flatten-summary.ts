import type { FlattenResult } from './order-manager';

/** What a flatten did, in the compact form its audit row and its flatten-request row record. */
export function summarizeFlatten(result: FlattenResult) {
  return {
    dryRun: result.dryRun,
    legs: result.legs.length,
    cancelledEntries: result.cancelledEntries.length,
    exitsSent: result.submitted.map((o) => `${o.strategyId}:${o.side} ${o.quantity} ${o.symbol}`),
    failed: result.failed.map((f) => `${f.leg.strategyId}:${f.leg.symbol}: ${f.reason}`),
  };
}
