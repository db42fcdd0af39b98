import { randomUUID } from 'node:crypto';
import type { Order, OrderRequest } from '../../services/trading/src/domain';

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

/** An exit (reduce-only SELL 1 INFY) as the order manager hands it to the broker's door. */
export const doorExit = (i: number, clientOrderId = `exit-${i}`): Order => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  clientOrderId,
  strategyId: 'door',
  symbol: 'INFY',
  side: 'SELL',
  type: 'MARKET',
  quantity: 1,
  reduceOnly: true,
  status: 'NEW',
  filledQuantity: 0,
  tradingDay: '2026-11-26',
  createdAt: Date.now(),
});
