import { numeric } from '../../../common/db/queryable';
import type { Fill, OrderType, Side } from '../domain';
import type { BrokerOrder, BrokerOrderStatus } from './broker';
import type { PaperWorkingOrder } from './paper-matching';

/** A row of `paper.orders`: the paper venue's own record of an order. */
export interface PaperOrderRow {
  broker_order_id: string;
  client_order_id: string;
  strategy_id: string;
  symbol: string;
  side: Side;
  order_type: OrderType;
  quantity: number;
  limit_price: string | null;
  trigger_price: string | null;
  triggered_at: Date | null;
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

/** An open order of the venue's record, as its matching works on it (after a restart). */
export function workingOrderOf(row: PaperOrderRow): PaperWorkingOrder {
  return {
    brokerOrderId: row.broker_order_id,
    clientOrderId: row.client_order_id,
    strategyId: row.strategy_id,
    symbol: row.symbol,
    side: row.side,
    type: row.order_type,
    quantity: row.quantity,
    limitPrice: numeric(row.limit_price),
    triggerPrice: numeric(row.trigger_price),
    triggered: row.triggered_at !== null,
    filled: row.filled_quantity,
    busy: false,
    version: 0,
  };
}
