import { randomUUID } from 'node:crypto';
import type { OrderRequest } from '../../services/trading/src/domain';

/**
 * One manual-strategy entry: INFY at 1500 with a stop at 1485 (15 risk per share; 100 shares =
 * INR 1,500 at risk, 150,000 notional).
 */
export const infyEntry = (overrides: Partial<OrderRequest> = {}): OrderRequest => ({
  clientOrderId: randomUUID(),
  strategyId: 'manual',
  symbol: 'INFY',
  side: 'BUY',
  type: 'MARKET',
  quantity: 100,
  stopPrice: 1485,
  reduceOnly: false,
  ...overrides,
});
