import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Pool } from 'pg';

/**
 * The order bench's floor: a bare Fastify route that writes one row per request, committed
 * synchronously, into a copy of the orders table (same columns and indexes) on the same
 * PostgreSQL. What the order path costs beyond this is ours.
 */
const body = {
  type: 'object',
  required: ['clientOrderId', 'symbol', 'side', 'type', 'quantity'],
  properties: {
    clientOrderId: { type: 'string', maxLength: 64 },
    symbol: { type: 'string', maxLength: 20 },
    side: { type: 'string', enum: ['BUY', 'SELL'] },
    type: { type: 'string', enum: ['MARKET', 'LIMIT'] },
    quantity: { type: 'integer', minimum: 1 },
    stopPrice: { type: 'number' },
  },
} as const;

interface Body {
  clientOrderId: string;
  symbol: string;
  side: string;
  type: string;
  quantity: number;
  stopPrice?: number;
}

async function run(): Promise<void> {
  const pool = new Pool({
    connectionString: process.env.DATABASE_URL,
    max: 10,
    application_name: 'floor',
  });
  const app = Fastify({ logger: false });
  app.post('/orders', { schema: { body } }, async (request, reply) => {
    const b = request.body as Body;
    const id = randomUUID();
    await pool.query({
      name: 'floor-insert',
      text: `INSERT INTO floor_orders (id, client_order_id, strategy_id, symbol, side, order_type, quantity,
               stop_price, reduce_only, status, trading_day)
             VALUES ($1, $2, 'manual', $3, $4, $5, $6, $7, false, 'NEW', current_date)`,
      values: [id, b.clientOrderId, b.symbol, b.side, b.type, b.quantity, b.stopPrice ?? null],
    });
    return reply.code(201).send({ id });
  });
  process.on('SIGTERM', () => {
    void app
      .close()
      .then(() => pool.end())
      .finally(() => process.exit(0));
  });
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
