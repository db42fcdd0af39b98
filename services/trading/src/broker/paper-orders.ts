import type { Fill, Side } from '../domain';
import type { BrokerOrder, BrokerOrderStatus } from './broker';

/** A row of `paper.orders`: the paper venue's own record of an order. */
export interface PaperOrderRow {
  broker_order_id: string;
  client_order_id: string;
  strategy_id: string;
  symbol: string;
  side: Side;
  order_type: 'MARKET' | 'LIMIT';
  quantity: number;
  limit_price: string | null;
  filled_quantity: number;
  status: BrokerOrderStatus;
  reason: string | null;
}

/** The venue's record of an order as the Broker interface reports it, with its `fills`. */
export function brokerOrderOf(row: PaperOrderRow, fills: readonly Fill[]): BrokerOrder {
  return {
    brokerOrderId: row.broker_order_id,
    clientOrderId: row.client_order_id,
    strategyId: row.strategy_id,
    symbol: row.symbol,
    side: row.side,
    quantity: row.quantity,
    status: row.status,
    filledQuantity: row.filled_quantity,
    reason: row.reason ?? undefined,
    fills,
  };
}
