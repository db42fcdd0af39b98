import { randomUUID } from 'node:crypto';
import type { TradingApi } from '../api';
import { ORDER_TYPES, type OrderType, orderPricesProblem } from '../domain';
import { MANUAL_STRATEGY_ID } from '../strategies/registry';
import { BadRequest, noQuery, type TradingApp } from './route-support';

const orderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['symbol', 'side', 'type', 'quantity'],
  properties: {
    clientOrderId: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
    strategyId: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,39}$' },
    symbol: { type: 'string', pattern: '^[A-Z][A-Z0-9&-]{0,19}$' },
    side: { type: 'string', enum: ['BUY', 'SELL'] },
    type: { type: 'string', enum: ORDER_TYPES },
    quantity: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    limitPrice: { type: 'number', exclusiveMinimum: 0, maximum: 10_000_000 },
    triggerPrice: { type: 'number', exclusiveMinimum: 0, maximum: 10_000_000 },
    stopPrice: { type: 'number', exclusiveMinimum: 0, maximum: 10_000_000 },
    reduceOnly: { type: 'boolean' },
    requestedBy: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

interface OrderBody {
  clientOrderId?: string;
  strategyId?: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  type: OrderType;
  quantity: number;
  limitPrice?: number;
  triggerPrice?: number;
  stopPrice?: number;
  reduceOnly?: boolean;
}

/**
 * POST /orders: 201 accepted, 200 the existing order for a client id, 202 uncertain, 422 a risk
 * refusal naming the rule, 503 while the database is unreachable.
 */
export function registerOrderRoutes(app: TradingApp, service: TradingApi): void {
  app.post(
    '/orders',
    { schema: { body: orderBody, querystring: noQuery } },
    async (request, reply) => {
      const body = request.body as OrderBody;
      const strategyId = body.strategyId ?? MANUAL_STRATEGY_ID;
      if (strategyId !== MANUAL_STRATEGY_ID && !service.strategyIds().includes(strategyId)) {
        throw new BadRequest(`body.strategyId: unknown strategy "${body.strategyId}"`);
      }
      if (!service.instrument(body.symbol)) {
        throw new BadRequest(`body.symbol: "${body.symbol}" is not in the universe`);
      }
      const prices = orderPricesProblem(body);
      if (prices !== undefined) throw new BadRequest(`body.${prices}`);
      const result = await service.submitOrder({
        clientOrderId: body.clientOrderId ?? randomUUID(),
        strategyId,
        symbol: body.symbol,
        side: body.side,
        type: body.type,
        quantity: body.quantity,
        limitPrice: body.limitPrice,
        triggerPrice: body.triggerPrice,
        stopPrice: body.stopPrice,
        reduceOnly: body.reduceOnly ?? false,
      });
      switch (result.outcome) {
        case 'ACCEPTED':
          return reply.code(201).send(result);
        case 'EXISTING':
          return reply.code(200).send(result);
        case 'UNCERTAIN':
          return reply.code(202).send(result);
        case 'REJECTED':
          // Not the order's fault: the same request succeeds once the database is back.
          if (result.reason === 'DATABASE_UNAVAILABLE') {
            return reply.code(503).send({
              error: 'DATABASE_UNAVAILABLE',
              reason: result.reason,
              message: result.message,
            });
          }
          return reply.code(422).send({
            error: 'REJECTED',
            reason: result.reason,
            message: result.message,
            order: result.order,
          });
      }
    },
  );
}
