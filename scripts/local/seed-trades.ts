import type { Queryable } from '../../services/common/db/queryable';

/**
 * Writes `count` filled orders (one fill each) for `day`, in bulk inside PostgreSQL: the data the
 * export tests and benches run on. Client order ids carry a comma, a quote and a newline every
 * 1000th row, so the CSV's escaping is exercised at any size.
 */
export async function seedTrades(
  db: Queryable,
  options: { readonly day: string; readonly count: number; readonly startAt?: number },
): Promise<void> {
  await db.query(
    `WITH o AS (
       INSERT INTO orders (id, client_order_id, strategy_id, symbol, side, order_type, quantity,
                           status, filled_quantity, avg_fill_price, broker_order_id, trading_day,
                           created_at, updated_at)
       SELECT gen_random_uuid(),
              CASE WHEN i % 1000 = 0 THEN format('odd,"id"%s' || chr(10) || 'line two', i)
                   ELSE format('seed-%s-%s', $1::text, i) END,
              (ARRAY['orb-15', 'ma-cross', 'manual'])[1 + i % 3],
              (ARRAY['RELIANCE', 'TCS', 'INFY', 'HDFCBANK', 'SBIN'])[1 + i % 5],
              CASE WHEN i % 2 = 0 THEN 'BUY' ELSE 'SELL' END,
              'MARKET', 1 + i % 50, 'FILLED', 1 + i % 50, 1000 + (i % 500) * 0.05,
              format('SEED-%s-%s', $1::text, i), $1::date, ts, ts
         FROM generate_series($3::int, $3::int + $2::int - 1) AS i,
              LATERAL (SELECT ($1::date + time '03:45' + i * interval '1 millisecond') AT TIME ZONE 'UTC' AS ts) t
       RETURNING id, client_order_id, strategy_id, symbol, side, quantity, avg_fill_price, created_at
     )
     INSERT INTO fills (broker_fill_id, order_id, strategy_id, symbol, side, quantity, price,
                        realized_pnl, closes_position, filled_at, trading_day)
     SELECT 'F-' || client_order_id, id, strategy_id, symbol, side, quantity, avg_fill_price,
            CASE WHEN side = 'SELL' THEN round((quantity * 0.35)::numeric, 4) ELSE 0 END,
            side = 'SELL', created_at, $1::date
       FROM o`,
    [options.day, options.count, options.startAt ?? 1],
  );
}
