import { Client } from 'pg';
import type { Quote } from '../../services/trading/src/broker/broker';
import { PaperBroker } from '../../services/trading/src/broker/paper-broker';
import { createTestDatabase } from '../support/database';
import { describeBrokerContract } from './broker-contract';

/** Ends every connection to `database` but ours: the paper venue's link drops mid-session. */
async function dropConnections(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
  } finally {
    await client.end();
  }
}

describeBrokerContract('paper venue on PostgreSQL', async () => {
  const db = await createTestDatabase();
  const quotes = new Map<string, Quote>([
    ['INFY', { price: 1500, bid: 1499.95, ask: 1500.05, receivedAt: Date.now() }],
  ]);
  const broker = new PaperBroker(
    db.pool,
    { quote: (symbol) => quotes.get(symbol) },
    {
      slippageBps: 0,
      latencyMs: 5,
      partialFillProbability: 0.5,
      seed: 7,
      tokenNames: ['PRIMARY'],
    },
  );
  return {
    broker,
    symbol: 'INFY',
    unknownSymbol: 'NOSUCHSYMBOL',
    restingBuyLimit: async () => 1000,
    setPrice: async (price) => {
      quotes.set('INFY', { price, bid: price, ask: price, receivedAt: Date.now() });
      broker.onQuote('INFY');
    },
    ordersAtVenue: async (clientOrderId) => {
      const { rows } = await db.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM paper.orders WHERE client_order_id = $1',
        [clientOrderId],
      );
      return rows[0]?.n ?? 0;
    },
    dropConnection: () => dropConnections(db.url),
    close: async () => {
      await broker.close();
      await db.close();
    },
  };
});
